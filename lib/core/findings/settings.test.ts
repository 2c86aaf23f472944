import { describe, expect, it } from 'vitest';
import { contextOf, type FindingCode, type Severity } from '../assessment';
import { NOW, buildTopology, prodSpec, stagingSpec, type TopologySpec } from '../testing/topology-builder';
import { settingsRule } from './settings';

const rows: { name: string; spec: TopologySpec; findings: [FindingCode, Severity, string | null][] }[] = [
  { name: 'HA-era kube-env with quorum reads off', spec: stagingSpec(), findings: [['QuorumReadsOff', 'info', null]] },
  { name: 'quorum reads on', spec: prodSpec(), findings: [] },
  {
    name: 'current kube-up: no quorum-read setting at all',
    spec: stagingSpec({ noQuorumReadSetting: true }),
    findings: [],
  },
  { name: 'no kube-env readable: nothing claimed', spec: stagingSpec({ quorumReads: null }), findings: [] },
];

describe('settingsRule', () => {
  it.each(rows)('$name', ({ spec, findings }) => {
    const out = settingsRule.evaluate(contextOf(buildTopology(spec), NOW));
    expect(out.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
  });
});
