import { gzipSync } from 'node:zlib';
// The service's own logic with in-memory ports: what runs concurrently, which credentials are used, what
// reaches the Topology. Real adapters against the sandbox are covered in tests/integration.
import { describe, expect, it } from 'vitest';
import type { EtcdMember, EtcdMemberStatus, ApiServerProbe, VmStatus } from '@/lib/core/topology';
import { ComputeBudget } from '@/lib/adapters/compute-rate-limit';
import type { IamPort } from '@/lib/ports/iam';
import type { PermissionsPreflight } from '@/lib/server/services/permissions-preflight';
import type { ComputePort, InstanceInfo } from '@/lib/ports/compute';
import type { EtcdAdminPort, EtcdEndpoint, EtcdTls } from '@/lib/ports/etcd-admin';
import type { ApiServerEndpoint, KubeApiPort, KubeCredentials } from '@/lib/ports/kube-api';
import type { ReachPort } from '@/lib/ports/reach';
import { ProviderError } from '@/lib/ports/provider-error';
import type { Store } from '@/lib/ports/store';
import { endpoints, forPlanning, type Container } from '@/lib/server/container';
import { parseEnv } from '@/lib/server/env';
import { ComputeSnapshots } from '@/lib/server/live/compute-snapshots';
import { FailureTracker } from '@/lib/server/live/failure-tracker';
import { LastObservations } from '@/lib/server/live/last-observations';
import { ProbeLatency } from '@/lib/server/live/probe-latency';
import { clustersOf } from './discover-clusters';
import { observeCluster, replicaNameRegex } from './observe-cluster';

const pem = (label: string, tag: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(tag).toString('base64')}\n-----END ${label}-----\n`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const gz = (s: string) => gzipSync(Buffer.from(s)).toString('base64');

function kubeUpMetadata(tag: string, extraEnv: Record<string, string> = {}): Record<string, string> {
  const env = {
    KUBERNETES_MASTER: 'true',
    KUBERNETES_MASTER_NAME: '203.0.113.7',
    MULTIZONE: 'true',
    ETCD_QUORUM_READ: 'true',
    CA_CERT: b64(pem('CERTIFICATE', `${tag}-ca`)),
    KUBECFG_CERT: b64(pem('CERTIFICATE', `${tag}-admin`)),
    KUBECFG_KEY: b64(pem('PRIVATE KEY', `${tag}-admin-key`)),
    ...extraEnv,
  };
  const certs = {
    CA_KEY: b64(pem('PRIVATE KEY', `${tag}-ca-key`)),
    ETCD_APISERVER_CA_KEY: b64(pem('PRIVATE KEY', `${tag}-etcd-ca-key`)),
    ETCD_APISERVER_CA_CERT: gz(pem('CERTIFICATE', `${tag}-etcd-ca`)),
    ETCD_APISERVER_SERVER_KEY: b64(pem('PRIVATE KEY', `${tag}-etcd-server-key`)),
    ETCD_APISERVER_SERVER_CERT: gz(pem('CERTIFICATE', `${tag}-etcd-server`)),
    ETCD_APISERVER_CLIENT_CERT: gz(pem('CERTIFICATE', `${tag}-etcd-client`)),
    ETCD_APISERVER_CLIENT_KEY: b64(pem('PRIVATE KEY', `${tag}-etcd-client-key`)),
  };
  const yaml = (o: Record<string, string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: '${v}'\n`)
      .join('');
  return { 'kube-env': yaml(env), 'kube-master-certs': yaml(certs) };
}

function instance(
  name: string,
  zone: string,
  ip: string | null,
  status: VmStatus = 'RUNNING',
  metadata = kubeUpMetadata('m'),
): InstanceInfo {
  return {
    id: `id-${name}`,
    name,
    zone,
    status,
    internalIp: ip,
    externalIp: null,
    tags: [],
    metadata,
    metadataFingerprint: null,
    creationTimestamp: '',
  };
}

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void };
function deferred<T>(): Deferred<T> {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const okStatus = (memberId: string): EtcdMemberStatus => ({
  ok: true,
  memberId,
  leaderId: '1',
  raftIndex: 10,
  raftTerm: 2,
  dbSize: 1000,
  isLearner: false,
  version: '3.4.23',
});

/** A port of which the observation may only use what `impl` provides: any other call (a mutation) fails the test. */
function observeOnly<T extends object>(impl: Partial<T>): T {
  return new Proxy(impl, {
    get: (target, prop, receiver) =>
      Reflect.has(target, prop)
        ? Reflect.get(target, prop, receiver)
        : () => {
            throw new Error(`observing must not call ${String(prop)}`);
          },
  }) as T;
}

/** The replica's internal IP and the loopback port asked for: how this fake names an endpoint in its call log. */
const where = (e: Pick<EtcdEndpoint, 'target' | 'port'>) => `${e.target.internalIp}:${e.port}`;
const url = (e: ApiServerEndpoint) => `https://${where(e)}`;

class FakeWorld {
  instances: InstanceInfo[] = [
    instance('prod-master-aaa', 'europe-west1-b', '127.20.0.2'),
    instance('prod-master-bbb', 'europe-west1-c', '127.20.0.3'),
    instance('prod-master-ccc', 'europe-west1-d', '127.20.0.4'),
  ];
  /** Every probe call, in the order made. */
  calls: string[] = [];
  /** The Compute reads that say which replicas exist, in the order made. */
  computeCalls: string[] = [];
  etcdCreds: EtcdTls[] = [];
  kubeCreds: KubeCredentials[] = [];
  /** When set, probes wait for this before answering. */
  gate: Deferred<void> | null = null;
  readyServers = new Set(['https://127.20.0.2:443', 'https://127.20.0.3:443', 'https://127.20.0.4:443']);
  /** Quorum's SSH access refused on every replica: what the etcd and kube adapters then answer. */
  noAccess = false;
  /** When set, the listing of the master instances waits for this before answering. */
  computeGate: Deferred<void> | null = null;

  private async answer<T>(value: T): Promise<T> {
    if (this.gate) await this.gate.promise;
    return value;
  }

  compute: ComputePort = observeOnly<ComputePort>({
    listRegionZones: async () => ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'],
    listAllInstances: async () => this.instances,
    listInstances: async (_p, regex) => {
      this.computeCalls.push('listInstances');
      return this.instances.filter((i) => new RegExp(regex).test(i.name));
    },
    listMasterInstances: async () => {
      this.computeCalls.push('listMasterInstances');
      const instances = this.instances;
      if (this.computeGate) await this.computeGate.promise;
      return { instances, unreachableZones: [] };
    },
    listAllForwardingRules: async () => {
      this.computeCalls.push('listAllForwardingRules');
      return {
        items: [
          {
            region: 'europe-west1',
            resource: { name: 'prod-master', ipAddress: '127.21.0.9', portRange: '443-443', target: 'prod-master' },
          },
        ],
        unreachableRegions: [],
      };
    },
    listAllTargetPools: async () => ({ items: [], unreachableRegions: [] }),
    listAllAddresses: async () => ({ items: [], unreachableRegions: [] }),
    getForwardingRule: async () => null,
    getTargetPool: async () => null,
    getAddress: async () => null,
  });

  etcd: EtcdAdminPort = observeOnly<EtcdAdminPort>({
    memberList: async (endpoints, creds): Promise<EtcdMember[]> => {
      this.calls.push(`memberList ${endpoints.map(where).join(',')}`);
      this.etcdCreds.push(creds);
      if (this.noAccess) throw new ProviderError('NoAccess', 'noaccess: Quorum cannot reach any replica over SSH');
      return this.answer(
        this.instances.map((i, n) => ({
          id: String(n + 1),
          name: `etcd-${i.name}`,
          peerUrls: [`https://${i.internalIp}:2380`],
          clientUrls: [],
          isLearner: false,
        })),
      );
    },
    status: async (endpoint, creds) => {
      this.calls.push(`status ${where(endpoint)}`);
      this.etcdCreds.push(creds);
      if (this.noAccess) return { ok: false, error: 'noaccess: sshd refused the key' };
      return this.answer(okStatus(where(endpoint)));
    },
    peers: async (endpoint, creds) => {
      this.calls.push(`peers ${where(endpoint)}`);
      this.etcdCreds.push(creds);
      if (this.noAccess) return { ok: false, error: 'noaccess: sshd refused the key' };
      // Every member sees the two others (member ids as memberList numbers them).
      const self = String(this.instances.findIndex((i) => where(endpoint).startsWith(`${i.internalIp}:`)) + 1);
      return this.answer({
        ok: true as const,
        activePeers: ['1', '2', '3'].filter((id) => id !== self),
        hasLeader: true,
      });
    },
    close: async () => {},
  });

  kube: KubeApiPort = {
    probe: async (endpoint, creds): Promise<ApiServerProbe> => {
      const server = url(endpoint);
      this.calls.push(`probe ${server}`);
      this.kubeCreds.push(creds);
      if (this.noAccess) return { ready: null, live: null, error: 'noaccess: sshd refused the key' };
      const ready = this.readyServers.has(server);
      return this.answer(ready ? { ready: true, live: true } : { ready: false, live: true });
    },
    leases: async (endpoint) => {
      const server = url(endpoint);
      this.calls.push(`leases ${server}`);
      return [
        {
          component: 'kube-scheduler',
          holderIdentity: `prod-master-aaa_${server}`,
          renewTime: null,
          leaseDurationSeconds: 15,
        },
      ];
    },
    nodes: async (endpoint) => {
      const server = url(endpoint);
      this.calls.push(`nodes ${server}`);
      return [{ name: `node-from-${server}`, zone: 'europe-west1-b', ready: true }];
    },
  };

  snapshots = new ComputeSnapshots(this.compute, { refreshMs: 5_000 });

  container(): Container {
    return {
      env: parseEnv({}),
      compute: this.compute,
      computeBudget: new ComputeBudget({ ratePerSecond: 20, burst: 40, maxWaitMs: 10_000 }),
      computeSnapshots: this.snapshots,
      etcd: this.etcd,
      kube: this.kube,
      clock: { now: () => new Date('2024-05-01T10:00:00Z') },
      endpoints,
      reach: observeOnly<ReachPort>({}),
      projects: ['sandbox-project'],
      chaos: null,
      failures: new FailureTracker(),
      observations: new LastObservations(),
      probeLatency: new ProbeLatency({ minMs: 800, maxMs: 800 }),
      // Observing asks no permissions.
      iam: observeOnly<IamPort>({}),
      permissions: observeOnly<PermissionsPreflight>({}),
      probeTimeoutMs: 800,
      // Observing never journals anything.
      store: observeOnly<Store>({}),
      close: async () => {},
    };
  }
}

const PROD = { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' };

describe('observeCluster', () => {
  it('starts every probe of every replica before any has answered', async () => {
    const w = new FakeWorld();
    w.gate = deferred<void>();
    const observation = observeCluster(PROD, w.container());
    await new Promise((r) => setTimeout(r, 20));
    // 3 replicas x (etcd main, etcd events, API server) + a member list per etcd cluster, all in flight.
    expect(w.calls.filter((c) => c.startsWith('status ')).length).toBe(6);
    expect(w.calls.filter((c) => c.startsWith('probe ')).length).toBe(3);
    expect(w.calls.filter((c) => c.startsWith('memberList ')).length).toBe(2);
    w.gate.resolve();
    const t = await observation;
    expect(t.replicas.map((r) => [r.name, r.etcd.main.ok, r.etcd.events.ok, r.apiServer.ready])).toEqual([
      ['prod-master-aaa', true, true, true],
      ['prod-master-bbb', true, true, true],
      ['prod-master-ccc', true, true, true],
    ]);
    expect(t.etcd.main.members).toHaveLength(3);
    // What each etcd main reports about its peers, read alongside its status (events is not asked).
    expect(w.calls.filter((c) => c.startsWith('peers ')).sort()).toEqual([
      'peers 127.20.0.2:2379',
      'peers 127.20.0.3:2379',
      'peers 127.20.0.4:2379',
    ]);
    expect(t.replicas.map((r) => r.etcdPeers)).toEqual([
      { main: { ok: true, activePeers: ['2', '3'], hasLeader: true } },
      { main: { ok: true, activePeers: ['1', '3'], hasLeader: true } },
      { main: { ok: true, activePeers: ['1', '2'], hasLeader: true } },
    ]);
    expect(t.settings).toEqual({ multizone: true, quorumReads: true });
    expect(t.observedAt).toBe('2024-05-01T10:00:00.000Z');
  });

  it('does not probe a replica whose VM cannot run anything, and reports why', async () => {
    const w = new FakeWorld();
    w.instances[1] = instance('prod-master-bbb', 'europe-west1-c', '127.20.0.3', 'TERMINATED');
    const t = await observeCluster(PROD, w.container());
    expect(w.calls.some((c) => c.includes('127.20.0.3'))).toBe(false);
    const stopped = t.replicas.find((r) => r.name === 'prod-master-bbb');
    expect(stopped?.etcd.main).toEqual({ ok: false, error: 'VM is TERMINATED' });
    expect(stopped?.apiServer).toEqual({ ready: null, live: null, error: 'VM is TERMINATED' });
    expect(w.calls.find((c) => c.startsWith('memberList'))).toBe('memberList 127.20.0.2:2379,127.20.0.4:2379');
  });

  it('takes credentials from the first RUNNING replica that has them', async () => {
    const w = new FakeWorld();
    w.instances = [
      instance('prod-master-aaa', 'europe-west1-b', '127.20.0.2', 'TERMINATED', kubeUpMetadata('stale')),
      instance('prod-master-bbb', 'europe-west1-c', '127.20.0.3', 'RUNNING', {
        'kube-env': "KUBERNETES_MASTER: 'true'\n",
      }),
      instance('prod-master-ccc', 'europe-west1-d', '127.20.0.4', 'RUNNING', kubeUpMetadata('good')),
    ];
    await observeCluster(PROD, w.container());
    // Main by mutual TLS with those credentials, events plain (null), as kube-up's API server dials them.
    expect(new Set(w.etcdCreds.map((c) => c?.clientCert ?? null))).toEqual(
      new Set([pem('CERTIFICATE', 'good-etcd-client'), null]),
    );
    expect(w.calls.filter((c) => c.startsWith('status ') && c.endsWith(':4002')).length).toBe(2);
    expect(new Set(w.kubeCreds.map((c) => ('clientKey' in c ? c.clientKey : null)))).toEqual(
      new Set([pem('PRIVATE KEY', 'good-admin-key')]),
    );
  });

  it('reports missing credentials on every probe instead of calling without them', async () => {
    const w = new FakeWorld();
    w.instances = w.instances.map((i) => ({
      ...i,
      metadata: { 'kube-env': "KUBERNETES_MASTER: 'true'\nMULTIZONE: 'true'\n" },
    }));
    const t = await observeCluster(PROD, w.container());
    expect(w.calls).toEqual([]);
    expect(t.replicas[0]?.etcd.main.ok).toBe(false);
    expect(t.etcd.main.members).toBeNull();
    expect(t.etcd.main.error).toMatch(/etcd client credentials/);
    expect(t.settings).toEqual({ multizone: true, quorumReads: null });
    expect(t.leases).toBeNull();
  });

  it('reads leases and nodes from an API server that reports ready', async () => {
    const w = new FakeWorld();
    w.readyServers = new Set(['https://127.20.0.4:443']);
    const t = await observeCluster(PROD, w.container());
    // The first replica is asked early, but its answer is dropped since its API server is not ready.
    expect(t.leases?.map((l) => l.holderIdentity)).toEqual(['prod-master-aaa_https://127.20.0.4:443']);
    expect(t.nodes?.map((n) => n.name)).toEqual(['node-from-https://127.20.0.4:443']);
  });

  it('asks the first replica alongside its probe when it is ready', async () => {
    const w = new FakeWorld();
    const t = await observeCluster(PROD, w.container());
    expect(w.calls.filter((c) => c.startsWith('leases ') || c.startsWith('nodes '))).toEqual([
      'leases https://127.20.0.2:443',
      'nodes https://127.20.0.2:443',
    ]);
    expect(t.nodes?.map((n) => n.name)).toEqual(['node-from-https://127.20.0.2:443']);
  });

  it('leaves leases and nodes unknown when no API server is ready', async () => {
    const w = new FakeWorld();
    w.readyServers = new Set();
    const t = await observeCluster(PROD, w.container());
    expect(t.leases).toBeNull();
    expect(t.nodes).toBeNull();
  });

  it('never copies metadata or key material into the Topology', async () => {
    const w = new FakeWorld();
    const json = JSON.stringify(await observeCluster(PROD, w.container()));
    expect(json).not.toMatch(/BEGIN|PRIVATE|kube-env|KUBECFG|ETCD_APISERVER/);
    expect(json).not.toContain(b64('-----BEGIN').slice(0, 12));
  });

  it('reaches every replica through the reach port: its Compute id, the loopback ports 2379, 4002 and 443', async () => {
    const w = new FakeWorld();
    const seen: Array<{ id: string; port: number }> = [];
    const c = w.container();
    const spy = {
      ...c.etcd,
      status: async (e: EtcdEndpoint, creds: EtcdTls, t: number) => (
        seen.push({ id: e.target.instanceId, port: e.port }),
        c.etcd.status(e, creds, t)
      ),
    };
    await observeCluster(PROD, { ...c, etcd: spy });
    const expected = w.instances.flatMap((i) => [`id-${i.name}:2379`, `id-${i.name}:4002`]).sort();
    expect(seen.map((s) => `${s.id}:${s.port}`).sort()).toEqual(expected);
  });

  it('does not fail where Quorum has no SSH access: every probe and the member lists read noaccess', async () => {
    const w = new FakeWorld();
    w.noAccess = true;
    const t = await observeCluster(PROD, w.container());
    expect(t.etcd.main.members).toBeNull();
    expect(t.etcd.main.error).toMatch(/^noaccess:/);
    for (const r of t.replicas.filter((x) => x.vmStatus === 'RUNNING')) {
      expect(r.etcd.main).toMatchObject({ ok: false, error: expect.stringMatching(/^noaccess:/) });
      expect(r.apiServer).toMatchObject({ ready: null, error: expect.stringMatching(/^noaccess:/) });
    }
  });
});

describe('observeCluster: a replica silent in the last observation', () => {
  /** `w` with every probe of prod-master-ccc hanging, as an adapter does while its SSH connect into a lost zone waits. */
  function withCccHanging(w: FakeWorld): Container {
    const hangs = (e: Pick<EtcdEndpoint, 'target'>) => e.target.internalIp === '127.20.0.4';
    const never = new Promise<never>(() => {});
    const c = w.container();
    const silent = new LastObservations();
    silent.silentReplicas = () => new Set(['prod-master-ccc']);
    return {
      ...c,
      observations: silent,
      etcd: {
        ...w.etcd,
        status: (e, creds, t) => (hangs(e) ? never : w.etcd.status(e, creds, t)),
        peers: (e, creds, t) => (hangs(e) ? never : w.etcd.peers(e, creds, t)),
        memberList: w.etcd.memberList,
      },
      kube: { ...w.kube, probe: (e, creds, t) => (hangs(e) ? never : w.kube.probe(e, creds, t)) },
    };
  }

  it('is not waited for past the live deadline, even by a planning observation, and reads as timed out', async () => {
    const c = withCccHanging(new FakeWorld());
    const planning = forPlanning(c);
    expect(planning.probeTimeoutMs).toBe(3_000);
    const t0 = performance.now();
    const t = await observeCluster(PROD, planning);
    const ms = performance.now() - t0;
    // The live deadline (800 ms here) and the grace, not the planning deadline (3 s), nor forever.
    expect(ms).toBeGreaterThanOrEqual(800);
    expect(ms).toBeLessThan(1_500);
    const ccc = t.replicas.find((r) => r.name === 'prod-master-ccc');
    expect(ccc?.etcd.main).toEqual({ ok: false, error: expect.stringMatching(/^timeout: no answer within 800 ms/) });
    expect(ccc?.etcd.events).toMatchObject({ ok: false, error: expect.stringMatching(/^timeout:/) });
    expect(ccc?.etcdPeers?.main).toMatchObject({ ok: false, error: expect.stringMatching(/^timeout:/) });
    expect(ccc?.apiServer).toMatchObject({ ready: null, error: expect.stringMatching(/^timeout:/) });
    // The others answered as ever, and the member list came from them.
    expect(t.replicas.filter((r) => r.name !== 'prod-master-ccc').every((r) => r.etcd.main.ok)).toBe(true);
    expect(t.etcd.main.members).toHaveLength(3);
  });

  it('a replica not known silent is waited for up to the deadline its adapter keeps', async () => {
    const w = new FakeWorld();
    const c = withCccHanging(w);
    c.observations.silentReplicas = () => new Set();
    const outcome = await Promise.race([
      observeCluster(PROD, c).then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_500)),
    ]);
    expect(outcome).toBe('still waiting');
  });
});

describe('observeCluster: Compute on its own cadence', () => {
  it('reads the project-wide snapshot once for many observations, again after a mutation, directly when planning', async () => {
    let t = 0;
    const w = new FakeWorld();
    w.snapshots = new ComputeSnapshots(w.compute, { refreshMs: 5_000, now: () => t });
    const c = w.container();
    const first = await observeCluster(PROD, c);
    for (let i = 0; i < 5; i++) await observeCluster(PROD, c);
    // Probes every time, Compute once: one aggregatedList of master-named instances (and the regional lists).
    expect(w.computeCalls).toEqual(['listMasterInstances', 'listAllForwardingRules']);
    expect(w.calls.filter((call) => call.startsWith('status ')).length).toBe(6 * 6);
    expect(first.replicas.map((r) => r.name)).toEqual(['prod-master-aaa', 'prod-master-bbb', 'prod-master-ccc']);
    expect(first.forwardingRule).toMatchObject({ name: 'prod-master', ipAddress: '127.21.0.9' });

    // A replica gone: not seen until the refresh period has passed, or at once after Quorum's own mutation.
    w.instances = w.instances.slice(0, 2);
    expect((await observeCluster(PROD, c)).replicas).toHaveLength(3);
    w.snapshots.invalidate(PROD.project);
    expect((await observeCluster(PROD, c)).replicas).toHaveLength(2);
    // Past the period, an observation still gets the last state at once (its probes never wait for Compute) while a
    // new read runs; the next one has it.
    w.instances = w.instances.slice(0, 1);
    t += 5_000;
    expect((await observeCluster(PROD, c)).replicas).toHaveLength(2);
    expect((await observeCluster(PROD, c)).replicas).toHaveLength(1);
    expect(w.computeCalls.filter((call) => call === 'listMasterInstances')).toHaveLength(3);

    // A plan reads Compute as it is now, per cluster.
    await observeCluster(PROD, forPlanning(c));
    expect(w.computeCalls.at(-1)).toBe('listInstances');
  });

  it('refreshSoon reads again at once, the next observation with it, not within minAgeMs of the last read nor twice', async () => {
    let t = 0;
    const w = new FakeWorld();
    w.snapshots = new ComputeSnapshots(w.compute, { refreshMs: 5_000, now: () => t });
    const c = w.container();
    const reads = () => w.computeCalls.filter((call) => call === 'listMasterInstances').length;
    w.snapshots.refreshSoon(PROD.project, 1_000); // nothing read yet: the first observation reads anyway
    expect(reads()).toBe(0);
    await observeCluster(PROD, c);
    expect(reads()).toBe(1);
    t += 999;
    w.snapshots.refreshSoon(PROD.project, 1_000);
    expect(reads()).toBe(1);
    // A VM stopped by someone else: the observation after refreshSoon sees it, well before the 5 s period.
    w.instances = w.instances.map((i) => (i.name === 'prod-master-ccc' ? { ...i, status: 'STOPPING' as const } : i));
    t += 1;
    w.snapshots.refreshSoon(PROD.project, 1_000);
    w.snapshots.refreshSoon(PROD.project, 1_000);
    expect(reads()).toBe(2);
    const seen = await observeCluster(PROD, c);
    expect(seen.replicas.find((r) => r.name === 'prod-master-ccc')?.vmStatus).toBe('STOPPING');
    expect(reads()).toBe(2);
    w.snapshots.refreshSoon(PROD.project, 1_000);
    expect(reads()).toBe(2);
  });

  it('while Compute is read again after refreshSoon, the probes start at once from the replicas read before; the view has the new VM status', async () => {
    let t = 0;
    const w = new FakeWorld();
    w.snapshots = new ComputeSnapshots(w.compute, { refreshMs: 5_000, now: () => t });
    const c = w.container();
    await observeCluster(PROD, c);
    const statusCalls = () => w.calls.filter((call) => call.startsWith('status ')).length;
    expect(statusCalls()).toBe(6);

    // A VM being stopped: its etcd closed Quorum's connection, Compute is read again, and that read is slow.
    w.instances = w.instances.map((i) => (i.name === 'prod-master-ccc' ? { ...i, status: 'STOPPING' as const } : i));
    w.computeGate = deferred<void>();
    t += 1_000;
    w.snapshots.refreshSoon(PROD.project, 1_000);
    const observation = observeCluster(PROD, c);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Every probe is under way while the read is not answered yet.
    expect(statusCalls()).toBe(12);
    let done = false;
    void observation.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(done).toBe(false);

    w.computeGate.resolve();
    const seen = await observation;
    expect(seen.replicas.map((r) => [r.name, r.vmStatus])).toEqual([
      ['prod-master-aaa', 'RUNNING'],
      ['prod-master-bbb', 'RUNNING'],
      ['prod-master-ccc', 'STOPPING'],
    ]);
    expect(seen.replicas.every((r) => r.etcd.main.ok && r.etcd.events.ok)).toBe(true);
    // The probes made early stood: none made again.
    expect(statusCalls()).toBe(12);
  });

  it('when the new read has other replicas than the one before, they are probed as they are now', async () => {
    let t = 0;
    const w = new FakeWorld();
    w.snapshots = new ComputeSnapshots(w.compute, { refreshMs: 5_000, now: () => t });
    const c = w.container();
    await observeCluster(PROD, c);
    w.calls = [];

    // One replica deleted meanwhile, another's address changed: the early probes asked the VMs as they were.
    const [first, second] = w.instances;
    if (!first || !second) throw new Error('the world has three replicas');
    w.instances = [first, { ...second, internalIp: '127.20.0.7' }];
    w.computeGate = deferred<void>();
    t += 1_000;
    w.snapshots.refreshSoon(PROD.project, 1_000);
    const observation = observeCluster(PROD, c);
    await new Promise((resolve) => setTimeout(resolve, 0));
    w.computeGate.resolve();
    const seen = await observation;
    expect(seen.replicas.map((r) => r.name)).toEqual(['prod-master-aaa', 'prod-master-bbb']);
    // Early: the three as they were; then the two as they are, the moved one at its new address.
    expect(w.calls.filter((call) => call.startsWith('status ')).sort()).toEqual(
      [
        'status 127.20.0.2:2379',
        'status 127.20.0.2:4002',
        'status 127.20.0.3:2379',
        'status 127.20.0.3:4002',
        'status 127.20.0.4:2379',
        'status 127.20.0.4:4002',
        'status 127.20.0.2:2379',
        'status 127.20.0.2:4002',
        'status 127.20.0.7:2379',
        'status 127.20.0.7:4002',
      ].sort(),
    );
    expect(seen.replicas[1]?.etcd.main).toEqual(okStatus('127.20.0.7:2379'));
  });

  it('peek answers from a recent snapshot without reading Compute, and nothing when it is old or invalidated', async () => {
    let t = 0;
    const w = new FakeWorld();
    w.snapshots = new ComputeSnapshots(w.compute, { refreshMs: 5_000, now: () => t });
    expect(w.snapshots.peek(PROD.project, 60_000)).toBeNull();
    await w.snapshots.read(PROD.project);
    const calls = w.computeCalls.length;
    t += 59_000;
    expect(w.snapshots.peek(PROD.project, 60_000)?.masters.instances).toHaveLength(3);
    t += 1_000;
    expect(w.snapshots.peek(PROD.project, 60_000)).toBeNull();
    t -= 1_000;
    w.snapshots.invalidate(PROD.project);
    expect(w.snapshots.peek(PROD.project, 60_000)).toBeNull();
    expect(w.computeCalls.length).toBe(calls);
  });
});

describe('replicaNameRegex', () => {
  it.each([
    ['prod-master', true],
    ['prod-master-a1c', true],
    ['prod-master-a1', false],
    ['prod-master-a1cd', false],
    ['prod-masterx', false],
    ['xprod-master', false],
  ])('%s -> %s', (name, matches) => {
    expect(new RegExp(replicaNameRegex('prod-master')).test(name)).toBe(matches);
  });
});

describe('clustersOf (discovery)', () => {
  const yaml = (o: Record<string, string>) => ({
    'kube-env': Object.entries(o)
      .map(([k, v]) => `${k}: '${v}'\n`)
      .join(''),
  });
  // kube-up's kube-env: KUBERNETES_MASTER_NAME is the static IP, never a name; the network tag is MASTER_NAME.
  const KUBE_UP_ENV = { KUBERNETES_MASTER: 'true', KUBERNETES_MASTER_NAME: '203.0.113.7' };
  const master = (
    name: string,
    zone: string,
    created: string,
    env: Record<string, string> = KUBE_UP_ENV,
    tags = ['prod-master'],
  ) => ({
    ...instance(name, zone, null, 'RUNNING', yaml(env)),
    tags,
    creationTimestamp: created,
  });
  it('groups masters by the tag their name fits, ignoring nodes, strangers and KUBERNETES_MASTER_NAME', () => {
    const clusters = clustersOf('p', [
      master('prod-master-aaa', 'europe-west1-b', '2026-01-01T00:00:00Z'),
      { ...master('prod-master-bbb', 'europe-west1-c', '2026-01-02T00:00:00Z'), status: 'TERMINATED' as const },
      // The first master kube-up made has no suffix.
      master('prod-master', 'europe-west1-d', '2026-01-03T00:00:00Z'),
      // A node: not KUBERNETES_MASTER.
      master(
        'prod-minion-x1y2',
        'europe-west1-b',
        '2026-01-01T00:00:00Z',
        { KUBERNETES_MASTER: 'false', KUBERNETES_MASTER_NAME: '203.0.113.7' },
        ['prod-minion'],
      ),
      // A master without the tag: its name minus the replica suffix.
      master('kubernetes-master-q7z', 'us-central1-b', '2026-01-01T00:00:00Z', KUBE_UP_ENV, []),
      instance('web-1', 'us-central1-b', null, 'RUNNING', {}),
    ]);
    expect(clusters).toEqual([
      {
        project: 'p',
        region: 'europe-west1',
        masterName: 'prod-master',
        replicaNames: ['prod-master', 'prod-master-aaa', 'prod-master-bbb'],
      },
      { project: 'p', region: 'us-central1', masterName: 'kubernetes-master', replicaNames: ['kubernetes-master-q7z'] },
    ]);
  });

  it("keeps a replica placed in another region in its cluster, whose region is the oldest replica's", () => {
    const clusters = clustersOf('p', [
      master('prod-master-new', 'us-east1-b', '2026-03-01T00:00:00Z'),
      master('prod-master-aaa', 'europe-west1-b', '2026-01-01T00:00:00Z'),
      master('prod-master-bbb', 'europe-west1-c', '2026-02-01T00:00:00Z'),
    ]);
    expect(clusters).toEqual([
      {
        project: 'p',
        region: 'europe-west1',
        masterName: 'prod-master',
        replicaNames: ['prod-master-aaa', 'prod-master-bbb', 'prod-master-new'],
      },
    ]);
  });
});
