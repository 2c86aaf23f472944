// Issue 3's add-replica benchmark, against a sandbox of its own (port 8797, net 60, .quorum-bench-add):
// wall time of adding a replica to prod (3 -> 4) with ~50 MB of live keys in etcd main, Quorum's operation
// beside a minimal script making the same etcd and Compute calls, in the same run; printed as a ratio
// quorum/direct (target < 1.2).
//
// Set-up (untimed): prod's etcd main gets FILL_KEYS distinct keys of FILL_VALUE_BYTES random bytes under
// FILL_PREFIX. They are never overwritten or deleted, so the sandbox's periodic auto-compaction (which
// drops old revisions only) leaves them live; etcdctl's `endpoint status` and `get --prefix --keys-only` show it.
//
// Rounds alternate Q D, D Q, Q D, ... (after one untimed warm-up of each) so drift in the machine's load
// falls on both sides alike. After every round the new replica is removed again by Quorum's own
// remove-replica operation, and the next round waits (untimed) until prod is three healthy replicas. A start
// the planner refuses (on a loaded machine a probe can time out and prod look unhealthy) changes nothing;
// prod settles and the attempt runs again, timed afresh. Each round also prints this process's CPU time,
// the client side's own work (the sandbox and etcd run in other processes).
//
// Quorum (timed from the start action to the operation's end): startClusterOperation (a fresh observation
// of prod, the planner, the SQLite journal and cluster lock) and the process's runner with the real step
// executors: pick-name, issue-certificates, add-learner (main, events), create-disk, create-instance,
// snapshot-etcd (the backup gate: main and events snapshots, verified), add-to-target-pool,
// await-learner-catch-up, promote-learner, await-api-server, verify. Each step observes before it acts;
// every transition is journaled.
//
// Direct (timed from its first call to the API server being ready): one pass, no journal, no re-reads,
// with the same libraries' clients built here (@google-cloud/compute, etcd3; /readyz by node:https with kube-up's admin credentials):
//   1. instances.aggregatedList of the project, addresses.list of the region, subnetworks.get: the
//      replicas, the static IP and the lowest free internal IP; disks.get of the source's data disk size;
//   2. the replica's certificates and metadata (lib/pki: the same CA-signed certs and rewritten kube-env
//      the executors make; readMasterMetadata only parses the client credentials out of the metadata);
//   2b. the backup gate's etcd calls: a snapshot of main and of events streamed from a voter to a file;
//   3. MemberAdd as learner in main, then events;
//   4. disks.insert, instances.insert (the first replica's metadata with the new certs, INITIAL_ETCD_CLUSTER
//      and state `existing`), targetPools.addInstance, each waited for through zoneOperations/regionOperations.wait;
//   5. the same catch-up condition as the executor, polled every 500 ms: in both clusters the learner's raft
//      index has reached the highest voter index read one poll earlier;
//   6. MemberPromote in main, then events, retried every 250 ms while etcd says the learner is not in sync;
//   7. polled every 500 ms until both of the new member's etcd endpoints answer status and its /readyz is true.
// It skips what only a resumable, journaled operation needs: the plan, the lock, the reads before each
// step, the snapshots' verification and the final member-list verify. Its gRPC reconnect back-off is set as
// in the etcd adapter (100 ms to 1 s) so both sides notice the new member's etcd equally soon.
//
// Run: npm run bench:add   (prints numbers; it is not a test and asserts nothing). The data dir is deleted
// after a complete run and kept after a failure, for its sandbox.log.
// BENCH_ROUNDS (default 3) timed rounds per side; BENCH_WARMUP (default 1) untimed rounds per side first;
// BENCH_VERBOSE=1 prints every round's step times; BENCH_PROFILE=1 also times every port and journal call
// of Quorum's rounds and this process's CPU time per step (bench/call-profile.ts), and prints them.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  AddressesClient,
  DisksClient,
  InstancesClient,
  RegionOperationsClient,
  SubnetworksClient,
  TargetPoolsClient,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { TwinEtcdForwards } from '../tests/support/twin-forward';
import { googleAuthLibrary } from 'google-gax';
import { z } from 'zod';
import { lowestFreeHost } from '../lib/adapters/gce/gce-mapping';
import { readMasterMetadata } from '../lib/adapters/gce/master-metadata';
import { buildReplicaMetadata } from '../lib/pki/replica-certs';
import { startSandbox } from '../tests/support/sandbox-process';
import { CallProfile, type CallTotals } from './call-profile';

const PORT = 8797;
const NET = 60;
const DATA_DIR = '.quorum-bench-add';
process.env.QUORUM_PROVIDER = 'sandbox';
process.env.SANDBOX_PORT = String(PORT);
process.env.QUORUM_DATA_DIR = DATA_DIR;
process.env.QUORUM_PROJECTS = 'sandbox-project';

const PROD = { project: 'sandbox-project', region: 'europe-west1', masterName: 'prod-master' } as const;
/** prod's replicas are in -b, -c and -d; a fourth goes next to one of them. */
const ZONE = 'europe-west1-b';
const FILL_PREFIX = '/quorum-bench/fill/';
const FILL_KEYS = 500;
const FILL_VALUE_BYTES = 100_000;
const TARGET_RATIO = 1.2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const CLUSTERS = ['main', 'events'] as const;
type Cluster = (typeof CLUSTERS)[number];
const PEER_PORTS: Record<Cluster, number> = { main: 2380, events: 2381 };
const API_SERVER_PORT = 443;
/** Rows of the per-step table: Quorum's journal order, with the direct script's phases where they fall. */
const STEP_ORDER = [
  'observe + plan + journal',
  'prepare (lists, free IP, disk size)',
  'pick-name',
  'issue-certificates',
  'snapshot-etcd',
  'add-learner',
  'create-disk',
  'create-instance',
  'add-to-target-pool',
  'await-learner-catch-up',
  'promote-learner',
  'await-api-server',
  'verify',
  'between steps (runner)',
  'finish',
] as const;
const ETCD_CALL_MS = 5_000;
const POLL_MS = 500;
const PROMOTE_RETRY_MS = 250;
const WAIT_LIMIT_MS = 5 * 60_000;

const run = promisify(execFile);
/**
 * A member's client ports: main by mutual TLS verifying `etcd-<instance>` (kube-up's cert), events plain http.
 * kube-up's etcd listens on the VM's own 127.0.0.1 only, so the direct script reaches it as the master's API
 * server does, through a relay into the VM's loopback (tests/support/twin-forward.ts): `addr` is that relay.
 */
type Member = { name: string; ip: string; addr: Record<Cluster, string> };
const etcdAddress = (m: Member, cluster: Cluster) => m.addr[cluster];
/** One relay per (instance, cluster) for the whole bench run. */
const forwards = new TwinEtcdForwards(NET);
async function twinMember<T extends { name: string; ip: string }>(
  m: T,
): Promise<T & { addr: Record<Cluster, string> }> {
  return {
    ...m,
    addr: {
      main: (await forwards.endpoint(m.name, 'main')).address,
      events: (await forwards.endpoint(m.name, 'events')).address,
    },
  };
}

// --- numbers ---------------------------------------------------------------------------------------------

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
};
const seconds = (ms: number) => `${(ms / 1_000).toFixed(2)} s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Durations of named phases, in the order they ended. */
class Phases {
  readonly ms = new Map<string, number>();
  private last = performance.now();
  readonly started = this.last;
  end(name: string): void {
    const now = performance.now();
    this.ms.set(name, (this.ms.get(name) ?? 0) + now - this.last);
    this.last = now;
  }
  get total(): number {
    return this.last - this.started;
  }
}

type RoundResult = {
  side: 'quorum' | 'direct';
  ms: number;
  name: string;
  phases: Map<string, number>;
  newMemberDbBytes: number | null;
  /** CPU time of this process (user + system) during the round: the client side's own work. */
  cpuMs?: number;
  /** Profile mode, Quorum only: port and journal calls by step. */
  calls?: CallTotals;
};

// --- credentials and etcdctl ---------------------------------------------------------------------------

type Pems = { caCert: string; clientCert: string; clientKey: string };

/** etcdctl over mutual TLS to etcd main: through the members' relays into their loopback, verifying 127.0.0.1. */
async function etcdctlJson(creds: Pems, addresses: string[], args: string[]): Promise<unknown> {
  return etcdctlJsonAt(
    creds,
    addresses.map((a) => `https://${a}`),
    args,
  );
}

async function etcdctlJsonAt(creds: Pems, endpoints: string[], args: string[]): Promise<unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), 'quorum-bench-etcdctl-'));
  try {
    const file = (name: string, pem: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, pem, { mode: 0o600 });
      return p;
    };
    const certArgs = [
      '--cacert',
      file('ca.crt', creds.caCert),
      '--cert',
      file('client.crt', creds.clientCert),
      '--key',
      file('client.key', creds.clientKey),
    ];
    const { stdout } = await run(
      'etcdctl',
      ['--endpoints', endpoints.join(','), ...certArgs, '--command-timeout', '10s', ...args, '-w', 'json'],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 30_000,
      },
    );
    // uint64 member ids do not fit a JS number; they are not read here, so any precision loss is harmless.
    return JSON.parse(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const endpointStatusSchema = z.array(
  z.object({ Endpoint: z.string(), Status: z.object({ dbSize: z.number(), dbSizeInUse: z.number().optional() }) }),
);
const countSchema = z.object({ count: z.number().default(0) });

/** What etcdctl (not Quorum's client) says about the database of each endpoint. */
async function describeDatabases(creds: Pems, endpoints: string[]): Promise<string> {
  const statuses = endpointStatusSchema.parse(await etcdctlJson(creds, endpoints, ['endpoint', 'status']));
  return statuses
    .map(
      (s) =>
        `${s.Endpoint} db ${megabytes(s.Status.dbSize)} (in use ${s.Status.dbSizeInUse === undefined ? '?' : megabytes(s.Status.dbSizeInUse)})`,
    )
    .join('; ');
}

function etcdClient(member: Member, cluster: Cluster, creds: Pems): Etcd3 {
  const tls = cluster === 'main';
  return new Etcd3({
    hosts: `${tls ? 'https' : 'http'}://${etcdAddress(member, cluster)}`,
    ...(tls
      ? {
          credentials: {
            rootCertificate: Buffer.from(creds.caCert),
            certChain: Buffer.from(creds.clientCert),
            privateKey: Buffer.from(creds.clientKey),
          },
        }
      : {}),
    // As the reference recommends for admin clients: no breaker, so a refused call does not fail the next.
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      ...(tls ? { 'grpc.ssl_target_name_override': `etcd-${member.name}` } : {}),
    },
  });
}

/** Puts FILL_KEYS distinct keys of random bytes (eight at a time) and returns how many live keys the prefix holds. */
async function fillEtcdMain(members: Member[], creds: Pems): Promise<number> {
  const [first] = members;
  if (!first) throw new Error('no member to fill');
  const client = etcdClient(first, 'main', creds);
  try {
    let next = 0;
    const worker = async () => {
      while (next < FILL_KEYS) {
        const i = next++;
        await client.put(`${FILL_PREFIX}${String(i).padStart(5, '0')}`).value(randomBytes(FILL_VALUE_BYTES));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    client.close();
  }
  return countSchema.parse(
    await etcdctlJson(
      creds,
      members.map((m) => etcdAddress(m, 'main')),
      ['get', FILL_PREFIX, '--prefix', '--keys-only'],
    ),
  ).count;
}

// --- the direct script ---------------------------------------------------------------------------------

const operationSchema = z.object({
  name: z.string(),
  status: z.string().nullish(),
  zone: z.string().nullish(),
  region: z.string().nullish(),
  error: z.object({ errors: z.array(z.object({ message: z.string().nullish() })).nullish() }).nullish(),
});
const lastSegment = (url: string) => url.slice(url.lastIndexOf('/') + 1);

type ComputeClients = {
  instances: InstancesClient;
  addresses: AddressesClient;
  subnetworks: SubnetworksClient;
  disks: DisksClient;
  targetPools: TargetPoolsClient;
  zoneOperations: ZoneOperationsClient;
  regionOperations: RegionOperationsClient;
};

function computeClients(): ComputeClients {
  const opts = {
    apiEndpoint: '127.0.0.1',
    port: PORT,
    protocol: 'http',
    fallback: true,
    authClient: new googleAuthLibrary.PassThroughClient(),
  };
  return {
    instances: new InstancesClient(opts),
    addresses: new AddressesClient(opts),
    subnetworks: new SubnetworksClient(opts),
    disks: new DisksClient(opts),
    targetPools: new TargetPoolsClient(opts),
    zoneOperations: new ZoneOperationsClient(opts),
    regionOperations: new RegionOperationsClient(opts),
  };
}

/** Waits for the Operation a mutating call returned (`[LROperation]`) with Compute's blocking `wait`. */
async function operationDone(gce: ComputeClients, result: readonly unknown[]): Promise<void> {
  const first = z.object({ latestResponse: z.unknown() }).parse(result[0]);
  let op = operationSchema.parse(first.latestResponse);
  while (op.status !== 'DONE') {
    const [next] = op.zone
      ? await gce.zoneOperations.wait({ project: PROD.project, zone: lastSegment(op.zone), operation: op.name })
      : await gce.regionOperations.wait({
          project: PROD.project,
          region: lastSegment(op.region ?? ''),
          operation: op.name,
        });
    op = operationSchema.parse(next);
  }
  const failure = op.error?.errors?.[0];
  if (failure) throw new Error(`operation ${op.name} failed: ${failure.message ?? 'unknown error'}`);
}

/** Long-lived parts of the direct script (a process would keep them): Compute clients and one etcd client per voter endpoint. */
type DirectScript = { gce: ComputeClients; voters: Map<string, Etcd3> };

async function directAdd(d: DirectScript): Promise<RoundResult> {
  const { gce } = d;
  const { project, region, masterName } = PROD;
  const phases = new Phases();

  // 1. What the add needs from Compute.
  const [scopes, addresses, [subnet]] = await Promise.all([
    collect(gce.instances.aggregatedListAsync({ project }, { autoPaginate: false })),
    collect(gce.addresses.listAsync({ project, region }, { autoPaginate: false })),
    gce.subnetworks.get({ project, region, subnetwork: 'default' }),
  ]);
  const instances = scopes.flatMap(([, scoped]) => scoped.instances ?? []);
  const isReplica = new RegExp(`^${masterName}(-[a-z0-9]{3})?$`);
  const replicas = (
    await Promise.all(
      instances
        .filter((i) => isReplica.test(i.name ?? '') && i.status === 'RUNNING')
        .map((i) =>
          twinMember({
            name: i.name ?? '',
            zone: lastSegment(i.zone ?? ''),
            ip: i.networkInterfaces?.[0]?.networkIP ?? '',
            tags: i.tags?.items ?? [],
            metadata: Object.fromEntries((i.metadata?.items ?? []).map((m) => [m.key ?? '', m.value ?? ''])),
          }),
        ),
    )
  ).sort((a, b) => a.name.localeCompare(b.name));
  const source = replicas.find((r) => r.metadata['kube-env'] !== undefined);
  const staticIp = addresses.find((a) => a.name === `${masterName}-ip`)?.address;
  if (!source || !staticIp || !subnet.ipCidrRange)
    throw new Error('prod has no replica with kube-env, no static IP or no subnetwork');
  const used = new Set([
    ...instances.map((i) => i.networkInterfaces?.[0]?.networkIP ?? ''),
    ...addresses.map((a) => a.address ?? ''),
  ]);
  const internalIp = lowestFreeHost(subnet.ipCidrRange, used);
  if (!internalIp) throw new Error('no free internal IP');
  const taken = new Set(instances.map((i) => i.name));
  let name = '';
  do
    name = `${masterName}-${Array.from({ length: 3 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[randomInt(36)]).join('')}`;
  while (taken.has(name));
  const sourceCreds = readMasterMetadata(source.metadata);
  const creds = sourceCreds?.etcd?.main;
  const kubeCreds = sourceCreds?.kube;
  if (!creds || !kubeCreds) throw new Error('the source replica has no etcd or kube credentials');
  const [sourceDisk] = await gce.disks.get({ project, zone: source.zone, disk: `${source.name}-pd` });
  phases.end('prepare (lists, free IP, disk size)');

  // 2. Certificates and metadata.
  const { metadata } = await buildReplicaMetadata(
    source.metadata,
    { name },
    replicas.map((r) => r.name),
  );
  phases.end('issue-certificates');

  const voterClient = (m: Member, cluster: Cluster) => {
    const key = etcdAddress(m, cluster);
    let client = d.voters.get(key);
    if (!client) d.voters.set(key, (client = etcdClient(m, cluster, creds)));
    return client;
  };
  const voter = (cluster: Cluster) => voterClient(source, cluster);
  const deadline = () => ({ deadline: new Date(Date.now() + ETCD_CALL_MS) });

  // 2b. The backup before the membership change, as Quorum's gate takes it: a snapshot of main and of
  //     events streamed from a voter to a 0600 file. (Quorum also verifies each one; that is its own work.)
  const snapshotDir = mkdtempSync(path.join(tmpdir(), 'quorum-bench-snapshot-'));
  try {
    await Promise.all(
      CLUSTERS.map(async (cluster) => {
        const out = createWriteStream(path.join(snapshotDir, `${cluster}.db`), { mode: 0o600 });
        // grpc-js hands back a Readable; iterating it keeps back-pressure towards etcd, as the adapter does.
        const stream: unknown = await voter(cluster).maintenance.snapshot({ deadline: new Date(Date.now() + 60_000) });
        if (!(stream instanceof Readable)) throw new Error('the etcd client returned no readable snapshot stream');
        for await (const message of stream) {
          if (!out.write((message as { blob: Uint8Array }).blob)) await once(out, 'drain');
        }
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      }),
    );
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
  phases.end('snapshot-etcd');

  // 3. Learners.
  const memberIds: Partial<Record<Cluster, string>> = {};
  for (const cluster of CLUSTERS) {
    // Peers by instance name, as kube-up advertises them.
    const added = await voter(cluster).cluster.memberAdd(
      { peerURLs: [`https://${name}:${PEER_PORTS[cluster]}`], isLearner: true },
      deadline(),
    );
    memberIds[cluster] = added.member.ID;
  }
  phases.end('add-learner');

  // 4. Disk, instance, target pool.
  const diskSizeGb = String(sourceDisk.sizeGb ?? 20);
  await operationDone(
    gce,
    await gce.disks.insert({
      project,
      zone: ZONE,
      diskResource: { name: `${name}-pd`, sizeGb: diskSizeGb, type: `zones/${ZONE}/diskTypes/pd-ssd` },
    }),
  );
  phases.end('create-disk');
  await operationDone(
    gce,
    await gce.instances.insert({
      project,
      zone: ZONE,
      instanceResource: {
        name,
        machineType: `zones/${ZONE}/machineTypes/n1-standard-1`,
        disks: [
          {
            boot: true,
            autoDelete: true,
            initializeParams: {
              sourceImage: 'projects/cos-cloud/global/images/family/cos-stable',
              diskSizeGb: '20',
              diskType: `zones/${ZONE}/diskTypes/pd-standard`,
            },
          },
          {
            source: `projects/${project}/zones/${ZONE}/disks/${name}-pd`,
            deviceName: 'master-pd',
            mode: 'READ_WRITE',
            autoDelete: false,
          },
        ],
        networkInterfaces: [
          {
            network: 'global/networks/default',
            subnetwork: `regions/${region}/subnetworks/default`,
            networkIP: internalIp,
            accessConfigs: [{ name: 'external-nat', type: 'ONE_TO_ONE_NAT' }],
          },
        ],
        tags: { items: source.tags },
        metadata: { items: metadata },
        scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true },
      },
    }),
  );
  phases.end('create-instance');
  await operationDone(
    gce,
    await gce.targetPools.addInstance({
      project,
      region,
      targetPool: masterName,
      targetPoolsAddInstanceRequestResource: {
        instances: [
          { instance: `https://www.googleapis.com/compute/v1/projects/${project}/zones/${ZONE}/instances/${name}` },
        ],
      },
    }),
  );
  phases.end('add-to-target-pool');

  const newMember = await twinMember({ name, ip: internalIp });
  const own = Object.fromEntries(CLUSTERS.map((cl) => [cl, etcdClient(newMember, cl, creds)])) as Record<
    Cluster,
    Etcd3
  >;
  const statusOf = async (client: Etcd3) => {
    try {
      const s = await client.maintenance.status(deadline());
      return { ok: true, raftIndex: Number(s.raftIndex), dbSize: Number(s.dbSize) };
    } catch {
      return { ok: false, raftIndex: 0, dbSize: 0 };
    }
  };
  let newMemberDbBytes: number | null = null;
  try {
    // 5. Catch-up: the learner's raft index reaches the voters' highest as read one poll earlier.
    const target: Partial<Record<Cluster, number>> = {};
    const until = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const states = await Promise.all(
        CLUSTERS.map(async (cluster) => {
          const [voters, learner] = await Promise.all([
            Promise.all(replicas.map((r) => statusOf(voterClient(r, cluster)))),
            statusOf(own[cluster]),
          ]);
          return {
            cluster,
            leader: Math.max(0, ...voters.map((s) => s.raftIndex)),
            learner: learner.raftIndex,
            dbSize: learner.dbSize,
          };
        }),
      );
      if (states.every((s) => s.learner > 0 && s.learner >= (target[s.cluster] ?? Infinity))) {
        newMemberDbBytes = states.find((s) => s.cluster === 'main')?.dbSize ?? null;
        break;
      }
      for (const s of states) target[s.cluster] = s.leader;
      if (Date.now() > until) throw new Error(`${name} did not catch up`);
      await sleep(POLL_MS);
    }
    phases.end('await-learner-catch-up');

    // 6. Promote.
    for (const cluster of CLUSTERS) {
      const until = Date.now() + WAIT_LIMIT_MS;
      for (;;) {
        try {
          await voter(cluster).cluster.memberPromote({ ID: memberIds[cluster] }, deadline());
          break;
        } catch (e) {
          if (Date.now() > until || !/in sync|unhealthy/i.test(e instanceof Error ? e.message : String(e))) throw e;
          await sleep(PROMOTE_RETRY_MS);
        }
      }
    }
    phases.end('promote-learner');

    // 7. The new member serves clients in both clusters and its API server is ready.
    // MASTER_CERT (copied from the source) names `kubernetes` and the static IP, not the new replica's address.
    const readyz = () =>
      new Promise<boolean>((resolve) => {
        const client = 'bearerToken' in kubeCreds ? {} : { cert: kubeCreds.clientCert, key: kubeCreds.clientKey };
        const headers: Record<string, string> =
          'bearerToken' in kubeCreds ? { authorization: `Bearer ${kubeCreds.bearerToken}` } : {};
        const req = https.get(
          {
            host: internalIp,
            port: API_SERVER_PORT,
            path: '/readyz',
            servername: 'kubernetes',
            ca: kubeCreds.caCert,
            ...client,
            headers,
            signal: AbortSignal.timeout(ETCD_CALL_MS),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          },
        );
        req.on('error', () => resolve(false));
      });
    const apiUntil = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const [etcdOk, ready] = await Promise.all([
        Promise.all(CLUSTERS.map((cl) => statusOf(own[cl]))).then((ss) => ss.every((s) => s.ok)),
        readyz(),
      ]);
      if (etcdOk && ready) break;
      if (Date.now() > apiUntil) throw new Error(`the API server of ${name} did not become ready`);
      await sleep(POLL_MS);
    }
    phases.end('await-api-server');
  } finally {
    for (const client of Object.values(own)) client.close();
  }
  return { side: 'direct', ms: phases.total, name, phases: phases.ms, newMemberDbBytes };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The planner refused the operation: nothing was changed. */
class Refused extends Error {
  override readonly name = 'Refused';
}

// --- main ----------------------------------------------------------------------------------------------

async function main() {
  console.log(
    `Starting a sandbox for the add-replica benchmark (port ${PORT}, net ${NET}; seeding takes a little while)…`,
  );
  const sandbox = await startSandbox({ port: PORT, net: NET, dataDir: DATA_DIR });
  // Loaded only now: the server modules read process.env (set above) when they load.
  const { container } = await import('../lib/server/container');
  const { operationsRunner } = await import('../lib/server/operations/runtime');
  const { startClusterOperation } = await import('../lib/server/services/start-operation');
  const { observeCluster, replicaNameRegex } = await import('../lib/server/services/observe-cluster');
  const c = container();
  const profile = PROFILE ? new CallProfile() : null;
  if (profile) {
    // The executors read c.compute, c.etcd and c.kube at each call; the runner holds the store instance.
    c.compute = profile.wrap(c.compute, 'compute');
    c.etcd = profile.wrap(c.etcd, 'etcd');
    c.kube = profile.wrap(c.kube, 'kube');
    const storeMethods = [
      'createOperation',
      'getOperation',
      'lockHolder',
      'markOperationRunning',
      'markStepRunning',
      'markStepDone',
      'setStepProgress',
      'appendLog',
      'steps',
      'finishOperation',
      'addAudit',
      'operationSecret',
      'putOperationSecretOnce',
      'deleteOperationSecrets',
    ];
    profile.patch(c.store, 'store', storeMethods, (method, args) => {
      if (method === 'markStepRunning') profile.label = `step ${String(args[1])}`;
    });
  }
  const direct: DirectScript = { gce: computeClients(), voters: new Map() };
  let completed = false;
  try {
    const replicas = await c.compute.listInstances(PROD.project, replicaNameRegex(PROD.masterName));
    const access = replicas.map((r) => readMasterMetadata(r.metadata)?.etcd).find((x) => x);
    const creds = access?.main;
    if (!access || !creds) throw new Error('no etcd credentials in prod metadata');
    const members = await Promise.all(
      replicas.flatMap((r) => (r.internalIp ? [twinMember({ name: r.name, ip: r.internalIp })] : [])),
    );
    const mainEndpoints = members.map((m) => etcdAddress(m, 'main'));

    console.log(
      `Filling prod's etcd main with ${FILL_KEYS} keys of ${FILL_VALUE_BYTES / 1_000} KB under ${FILL_PREFIX}…`,
    );
    const fillStart = performance.now();
    const live = await fillEtcdMain(members, creds);
    console.log(`  ${live} live keys under ${FILL_PREFIX} after ${seconds(performance.now() - fillStart)}`);
    console.log(`  etcdctl endpoint status: ${await describeDatabases(creds, mainEndpoints)}`);
    console.log(
      `  load average (1, 5, 15 min): ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')} on ${availableParallelism()} cores`,
    );

    /** Untimed: prod at `count` healthy replicas with no learner, as seen by a full observation. */
    const settle = async (count: number) => {
      const until = Date.now() + WAIT_LIMIT_MS;
      for (;;) {
        const t = await observeCluster(PROD, c);
        const healthy =
          t.replicas.length === count &&
          t.replicas.every(
            (r) => r.vmStatus === 'RUNNING' && r.etcd.main.ok && r.etcd.events.ok && r.apiServer.ready === true,
          );
        const noLearner = [t.etcd.main, t.etcd.events].every((m) => (m.members ?? []).every((x) => !x.isLearner));
        if (healthy && noLearner) break;
        if (Date.now() > until) throw new Error(`prod did not settle at ${count} healthy replicas`);
        await sleep(1_000);
      }
      await sleep(2_000);
    };

    const runOperation = async (intent: Parameters<typeof startClusterOperation>[1]) => {
      const started = await startClusterOperation(PROD, intent, 'bench');
      if (!started.ok) throw new Refused(`${intent.kind} refused: ${started.code} ${started.message}`);
      const ended = await operationsRunner().start(started.data.operationId);
      if (ended.status !== 'succeeded') throw new Error(`${intent.kind} ${ended.status}: ${ended.summary}`);
      return started.data.operationId;
    };

    /**
     * Runs `attempt` again (after prod settles at `count` replicas) when the planner refused it: on this
     * shared 2-core machine a probe can time out under load, and a refusal changes nothing.
     */
    const unlessRefused = async <T>(count: number, attempt: () => Promise<T>): Promise<T> => {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt();
        } catch (e) {
          if (!(e instanceof Refused) || tries >= 3) throw e;
          console.log(`    (${e.message}; once prod is settled it runs again)`);
          await settle(count);
        }
      }
    };

    const quorumAdd = async (): Promise<RoundResult> => {
      profile?.reset();
      if (profile) profile.label = 'observe + plan + journal';
      const wallStart = Date.now();
      const t0 = performance.now();
      const id = await runOperation({ kind: 'add-replica', zone: ZONE });
      const ms = performance.now() - t0;
      const wallEnd = Date.now();
      if (profile) profile.label = 'idle';
      const calls = profile ? new Map(profile.totals) : undefined;
      const steps = await c.store.steps(id);
      for (const s of steps) {
        const booked = calls?.get(`step ${s.index}`);
        if (calls && booked) {
          calls.delete(`step ${s.index}`);
          calls.set(s.kind, booked);
        }
      }
      const phases = new Map<string, number>();
      // Before the first step: observation, plan and journal; after the last: the runner's closing writes.
      const first = steps[0]?.startedAt;
      const last = steps.at(-1)?.endedAt;
      if (first) phases.set('observe + plan + journal', Date.parse(first) - wallStart);
      let between = 0;
      for (const [i, s] of steps.entries()) {
        if (s.startedAt && s.endedAt) phases.set(s.kind, Date.parse(s.endedAt) - Date.parse(s.startedAt));
        const previousEnd = steps[i - 1]?.endedAt;
        if (previousEnd && s.startedAt) between += Date.parse(s.startedAt) - Date.parse(previousEnd);
      }
      phases.set('between steps (runner)', between);
      if (last) phases.set('finish', wallEnd - Date.parse(last));
      const name = z.object({ name: z.string() }).parse(steps.find((s) => s.kind === 'pick-name')?.detail).name;
      const added = (await c.compute.listInstances(PROD.project, replicaNameRegex(PROD.masterName))).find(
        (r) => r.name === name,
      );
      const status = added?.internalIp
        ? await c.etcd.status(c.endpoints.etcd({ ...added, project: PROD.project }, 'main'), access.main, ETCD_CALL_MS)
        : null;
      return {
        side: 'quorum',
        ms,
        name,
        phases,
        newMemberDbBytes: status?.ok ? status.dbSize : null,
        ...(calls ? { calls } : {}),
      };
    };

    const removeAdded = async (name: string) => {
      await settle(4);
      await unlessRefused(4, () => runOperation({ kind: 'remove-replica', zone: ZONE, name }));
      await settle(3);
    };

    const sides = { quorum: quorumAdd, direct: () => directAdd(direct) };
    const order: Array<'quorum' | 'direct'> = [];
    for (let i = 0; i < WARMUP + ROUNDS; i++)
      order.push(...(i % 2 === 0 ? (['quorum', 'direct'] as const) : (['direct', 'quorum'] as const)));
    const results: RoundResult[] = [];
    await settle(3);
    for (const [i, side] of order.entries()) {
      const warm = i < WARMUP * 2;
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const result = await unlessRefused(3, async () => {
        const cpu = process.cpuUsage();
        return { ...(await sides[side]()), cpuMs: cpuMsSince(cpu) };
      });
      loop.disable();
      console.log(
        `${warm ? 'warm-up ' : `round ${Math.floor((i - WARMUP * 2) / 2) + 1}`} ${side.padEnd(6)} ${seconds(result.ms).padStart(8)}  ${result.name}, its etcd main db ${result.newMemberDbBytes === null ? '?' : megabytes(result.newMemberDbBytes)}, cpu of this process ${result.cpuMs.toFixed(0)} ms`,
      );
      if (VERBOSE || PROFILE) {
        console.log(`    ${[...result.phases].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
        console.log(
          `    event-loop delay: mean ${(loop.mean / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
        );
      }
      for (const [label, byMethod] of result.calls ?? []) {
        const parts = [...byMethod]
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([m, t]) => `${m} ${t.calls}x ${t.ms.toFixed(0)}`);
        console.log(`      ${label}: ${parts.join(', ')}`);
      }
      if (!warm) results.push(result);
      await removeAdded(result.name);
    }

    const of = (side: RoundResult['side']) => results.filter((r) => r.side === side);
    const q = median(of('quorum').map((r) => r.ms));
    const dm = median(of('direct').map((r) => r.ms));
    const ratio = q / dm;
    console.log('');
    console.log(`add-replica on prod (3 -> 4) with ~50 MB in etcd main, ${ROUNDS} rounds each, interleaved:`);
    console.log(
      `  quorum: median ${seconds(q)} (${of('quorum')
        .map((r) => seconds(r.ms))
        .join(', ')})`,
    );
    console.log(
      `  direct: median ${seconds(dm)} (${of('direct')
        .map((r) => seconds(r.ms))
        .join(', ')})`,
    );
    const cpu = (side: RoundResult['side']) => median(of(side).map((r) => r.cpuMs ?? NaN)).toFixed(0);
    console.log(
      `  cpu of this process (user + system), median: quorum ${cpu('quorum')} ms, direct ${cpu('direct')} ms`,
    );
    console.log(
      `  ratio quorum/direct: ${ratio.toFixed(3)} (target < ${TARGET_RATIO}: ${ratio < TARGET_RATIO ? 'met' : 'missed'})`,
    );
    console.log('');
    console.log(`  ${'median time per step (ms)'.padEnd(36)}   quorum    direct`);
    const known = [...STEP_ORDER] as string[];
    const rank = (k: string) => (known.includes(k) ? known.indexOf(k) : known.length);
    const kinds = [...new Set(results.flatMap((r) => [...r.phases.keys()]))].sort((a, b) => rank(a) - rank(b));
    for (const kind of kinds) {
      const cell = (side: RoundResult['side']) => {
        const xs = of(side).flatMap((r) => (r.phases.has(kind) ? [r.phases.get(kind) ?? 0] : []));
        return xs.length ? median(xs).toFixed(0) : '-';
      };
      console.log(`  ${kind.padEnd(36)} ${cell('quorum').padStart(8)}  ${cell('direct').padStart(8)}`);
    }
    console.log(`  ${'total'.padEnd(36)} ${q.toFixed(0).padStart(8)}  ${dm.toFixed(0).padStart(8)}`);
    console.log('  (both sides issue the certificates once and rewrite the metadata; Quorum keeps them in memory for');
    console.log('   create-instance, so no private key is journaled; its snapshot-etcd also verifies the snapshots)');
    console.log('');
    console.log(
      `  load average (1, 5, 15 min) at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')} on ${availableParallelism()} cores`,
    );
    console.log(`  etcdctl endpoint status at the end: ${await describeDatabases(creds, mainEndpoints)}`);
    completed = true;
  } finally {
    for (const client of direct.voters.values()) client.close();
    await Promise.allSettled(Object.values(direct.gce).map((client) => client.close()));
    await forwards.close();
    await c.close();
    await sandbox.stop();
    // The VMs' disks hold ~0.6 GB of etcd data; kept only when something failed, for its sandbox.log.
    if (completed) rmSync(sandbox.dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
