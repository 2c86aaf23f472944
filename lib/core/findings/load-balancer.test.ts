import { describe, expect, it } from 'vitest';
import { contextOf, type Finding, type FindingCode, type Severity } from '../assessment';
import {
  NOW,
  OTHER_LB_IP,
  STATIC_IP,
  buildTopology,
  prodSpec,
  stagingSpec,
  withReplica,
} from '../testing/topology-builder';
import type { Topology } from '../topology';
import { loadBalancerRule } from './load-balancer';

const B = 'prod-master-b01';
const D = 'prod-master-d03';

type Row = {
  name: string;
  topology: () => Topology;
  /** What the rule alone emits, in its order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  check?: (findings: Finding[]) => void;
};

/** `t` with `name` left out of the target pool. */
const outOfPool = (t: Topology, name: string): Topology => ({
  ...t,
  targetPool: t.targetPool && { ...t.targetPool, instances: t.targetPool.instances.filter((i) => !i.endsWith(name)) },
});

const rows: Row[] = [
  {
    name: 'prod: load balancer on the static address, every replica in the pool',
    topology: () => buildTopology(prodSpec()),
    findings: [],
  },
  {
    name: 'staging: one replica holding the static address',
    topology: () => buildTopology(stagingSpec()),
    findings: [],
  },
  {
    name: 'three replicas and no load balancer',
    topology: () => buildTopology(prodSpec({ loadBalancer: false })),
    findings: [['NoLoadBalancer', 'critical', null]],
    check: (f) => expect(f[0]?.fix).toContain(`forwarding rule prod-master on static address ${STATIC_IP}, port 443`),
  },
  {
    name: 'a replica missing from the pool, and the address not reserved: pool first',
    topology: () => outOfPool(buildTopology(prodSpec({ staticAddress: 'none' })), D),
    findings: [
      ['NoLoadBalancer', 'warning', D],
      ['StaticIpNotOnLoadBalancer', 'warning', 'prod-master'],
    ],
  },
  {
    name: 'the static address on a replica while a load balancer exists',
    topology: () => buildTopology(prodSpec({ staticAddress: { onReplica: B } })),
    findings: [['StaticIpNotOnLoadBalancer', 'critical', 'prod-master-ip']],
    check: (f) => {
      expect(f[0]?.message).toContain(`not the load balancer's address (${OTHER_LB_IP})`);
      expect(f[0]?.message).toContain(`reach only ${B}`);
    },
  },
  {
    name: 'one replica without a static address',
    topology: () => buildTopology(stagingSpec({ staticAddress: 'none' })),
    findings: [['StaticIpNotOnLoadBalancer', 'warning', 'staging-master-b01']],
  },
  {
    name: 'one replica whose static address is not on it',
    topology: () => {
      const t = withReplica(buildTopology(stagingSpec()), 'staging-master-b01', { externalIp: '34.0.0.9' });
      return { ...t, staticAddress: t.staticAddress && { ...t.staticAddress, status: 'RESERVED', users: [] } };
    },
    findings: [['StaticIpNotOnLoadBalancer', 'critical', 'staging-master-ip']],
    check: (f) => expect(f[0]?.message).toContain('cannot reach the master'),
  },
  {
    name: 'no replica: nothing to balance',
    topology: () => ({ ...buildTopology(prodSpec({ loadBalancer: false, staticAddress: 'none' })), replicas: [] }),
    findings: [],
  },
];

describe('loadBalancerRule', () => {
  it.each(rows)('$name', ({ topology, findings, check }) => {
    const out = loadBalancerRule.evaluate(contextOf(topology(), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    check?.(out);
  });
});
