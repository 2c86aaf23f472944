// The seed: two kube-up style clusters created at the first start, through the emulator's own
// Compute API (plain fetch, waiting on every Operation) exactly as a client would, then nodes
// registered through each cluster's API-server stand-in with the admin cert from kube-env.
//
// A seed that dies half-way leaves state.json with seedComplete=false; the next start discards that
// state (after ending any etcd it left running) and seeds again from scratch.
import { randomInt } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { z } from 'zod';
import { twinInternalRange } from './compute/ip-plan';
import { API_BASE } from './compute/links';
import { readStateFile } from './compute/state-file';
import {
  APISERVER_PORT,
  buildMasterMetadata,
  createClusterPki,
  createReplicaCerts,
  decodeBase64Pem,
  parseKubeYaml,
  type EtcdLayout,
} from './pki/index';
import { killStaleEtcd } from './vm/etcd-process';

export const SEED_PROJECT = 'sandbox-project';

type NodeGroup = { zone: string; count: number };

type SeedCluster = {
  masterName: string;
  region: string;
  /** One replica per entry. */
  zones: string[];
  /** kube-up's first master has no suffix; replicas added later get `-<3 random>`. */
  suffixedNames: boolean;
  /** The single replica holds the static IP itself; several sit behind a forwarding rule. */
  loadBalanced: boolean;
  multizone: boolean;
  /** prod: today's kube-up (mutual TLS on etcd main); staging: an HA-era cluster (plain http, ETCD_QUORUM_READ). */
  layout: EtcdLayout;
  /** ETCD_QUORUM_READ, written in the legacy layout only. */
  quorumReads: boolean;
  /** kube-up's MASTER_SIZE; replicas added later copy it. */
  machineType: string;
  /**
   * The boot disk: kube-up's MASTER_IMAGE (a pinned COS image of cos-cloud) and MASTER_ROOT_DISK_SIZE; kube-up
   * leaves its type to Compute (pd-standard), prod's was made pd-ssd by its operators. Replicas copy all three.
   */
  bootDisk: { image: string; sizeGb: number; type: 'pd-standard' | 'pd-ssd' };
  /** kube-up's MASTER_MIN_CPU_ARCHITECTURE (`--min-cpu-platform`), when set. */
  minCpuPlatform?: string;
  nodes: NodeGroup[];
};

/**
 * kube-up's master scopes (`--scopes storage-ro,compute-rw,monitoring,logging-write`, no --service-account:
 * the project's Compute Engine default service account), as gcloud expands them for the API.
 */
export const KUBE_UP_MASTER_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/compute',
  'https://www.googleapis.com/auth/monitoring',
  'https://www.googleapis.com/auth/logging.write',
] as const;

export const SEED_CLUSTERS: readonly SeedCluster[] = [
  {
    masterName: 'prod-master',
    region: 'europe-west1',
    zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'],
    suffixedNames: true,
    loadBalanced: true,
    multizone: true,
    layout: 'mtls',
    quorumReads: true,
    machineType: 'n1-standard-2',
    bootDisk: { image: 'projects/cos-cloud/global/images/cos-113-18244-85-49', sizeGb: 50, type: 'pd-ssd' },
    minCpuPlatform: 'Intel Skylake',
    nodes: [
      { zone: 'europe-west1-b', count: 2 },
      { zone: 'europe-west1-c', count: 2 },
      { zone: 'europe-west1-d', count: 2 },
    ],
  },
  {
    masterName: 'staging-master',
    region: 'us-central1',
    zones: ['us-central1-b'],
    suffixedNames: false,
    loadBalanced: false,
    multizone: true,
    layout: 'legacy',
    quorumReads: false,
    machineType: 'n1-standard-1',
    bootDisk: { image: 'projects/cos-cloud/global/images/cos-85-13310-1498-7', sizeGb: 20, type: 'pd-standard' },
    nodes: [
      { zone: 'us-central1-b', count: 2 },
      { zone: 'us-central1-c', count: 1 },
    ],
  },
];

const READY_TIMEOUT_MS = 180_000;

export type SeedOptions = { baseUrl: string; log: (msg: string) => void; signal?: AbortSignal };

/** The seed needs the net for its firewall rules: kube-up's 10.0.0.0/8 is the net's internal range here. */
export type RunSeedOptions = SeedOptions & { net: number };

/**
 * At start: a state whose seed never finished is discarded so the seed runs again from scratch.
 * Returns true when something was discarded.
 */
export async function discardUnfinishedSeed(sandboxDir: string, log: (msg: string) => void): Promise<boolean> {
  const statePath = join(sandboxDir, 'state.json');
  const state = readStateFile(statePath);
  if (!state || state.seedComplete) return false;
  log('the last seed did not finish; discarding its state and seeding again');
  // etcds of a sandbox that died hard are still running on these disks; end them before removing the disks.
  const disksDir = join(sandboxDir, 'disks');
  for (const zone of listDir(disksDir)) {
    for (const disk of listDir(join(disksDir, zone))) {
      for (const cluster of ['main', 'events'] as const) await killStaleEtcd(join(disksDir, zone, disk), cluster, log);
    }
  }
  rmSync(sandboxDir, { recursive: true, force: true });
  return true;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Creates both clusters, waits for their API servers and registers their nodes. */
export async function runSeed(opts: RunSeedOptions): Promise<void> {
  const compute = new ComputeHttp(opts.baseUrl, SEED_PROJECT, opts.signal);
  const created: Array<{ cluster: SeedCluster; replicas: string[] }> = [];
  for (const cluster of SEED_CLUSTERS) {
    const t0 = Date.now();
    await createNetworkFirewalls(compute, cluster, twinInternalRange(opts.net));
    created.push({ cluster, replicas: await createCluster(compute, cluster, opts.log) });
    opts.log(`seed: ${cluster.masterName} created in ${Date.now() - t0} ms`);
  }
  for (const { cluster, replicas } of created) {
    const apis = await waitForApiServers(compute, replicas, cluster.zones, opts.signal);
    const first = apis[0];
    if (!first) throw new Error(`${cluster.masterName}: no replica to register nodes with`);
    await registerNodes(first, cluster);
    opts.log(`seed: ${cluster.masterName} ready, ${cluster.nodes.reduce((n, g) => n + g.count, 0)} nodes registered`);
  }
}

/**
 * After a restart of a seeded sandbox: waits until the API server of every RUNNING master of the seed
 * project answers /readyz again (their etcds restart from disk). Resolves false on timeout.
 */
export async function waitForSeedClusters(opts: SeedOptions & { timeoutMs?: number }): Promise<boolean> {
  const compute = new ComputeHttp(opts.baseUrl, SEED_PROJECT, opts.signal);
  const list = instanceAggregatedListSchema.parse(await compute.call('GET', `/aggregated/instances`));
  const masters = Object.values(list.items ?? {})
    .flatMap((scope) => scope.instances ?? [])
    .filter((i) => i.status === 'RUNNING' && i.metadata?.items?.some((m) => m.key === 'kube-env'));
  try {
    await Promise.all(
      masters.map((i) => waitForReady(apiTarget(i), Date.now() + (opts.timeoutMs ?? READY_TIMEOUT_MS), opts.signal)),
    );
    return true;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    opts.log(`masters not ready after restart: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

// --- creating a cluster -------------------------------------------------------------------------

/** kube-up's NETWORK (KUBE_GCE_NETWORK, default `default`). */
const NETWORK = 'default';

/**
 * kube-up's create-network (cluster/gce/util.sh) for one cluster on an existing network: the cluster's
 * internal rules for masters and nodes (from 10.0.0.0/8, here the net's internal range) and the network's
 * ssh rule, each only when it does not exist yet (kube-up describes before it creates; the second cluster
 * on the network finds `default-default-ssh` there).
 */
async function createNetworkFirewalls(compute: ComputeHttp, c: SeedCluster, internalRange: string): Promise<void> {
  // CLUSTER_NAME defaults to INSTANCE_PREFIX; MASTER_TAG is `<prefix>-master`, NODE_TAG `<prefix>-minion`.
  const prefix = c.masterName.replace(/-master$/, '');
  const rules = [
    {
      name: `${prefix}-default-internal-master`,
      network: `global/networks/${NETWORK}`,
      sourceRanges: [internalRange],
      // Every port but etcd's peer ports, which only masters reach (`<MASTER_NAME>-etcd`).
      allowed: [
        { IPProtocol: 'tcp', ports: ['1-2379'] },
        { IPProtocol: 'tcp', ports: ['2382-65535'] },
        { IPProtocol: 'udp', ports: ['1-65535'] },
        { IPProtocol: 'icmp' },
      ],
      targetTags: [c.masterName],
    },
    {
      name: `${prefix}-default-internal-node`,
      network: `global/networks/${NETWORK}`,
      sourceRanges: [internalRange],
      allowed: [
        { IPProtocol: 'tcp', ports: ['1-65535'] },
        { IPProtocol: 'udp', ports: ['1-65535'] },
        { IPProtocol: 'icmp' },
      ],
      targetTags: [`${prefix}-minion`],
    },
    {
      name: `${NETWORK}-default-ssh`,
      network: `global/networks/${NETWORK}`,
      sourceRanges: ['0.0.0.0/0'],
      allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
    },
  ];
  for (const rule of rules) {
    if (await compute.exists(`/global/firewalls/${rule.name}`)) continue;
    await compute.mutate('POST', '/global/firewalls', rule);
  }
}

async function createCluster(compute: ComputeHttp, c: SeedCluster, log: (msg: string) => void): Promise<string[]> {
  const prefix = c.masterName.replace(/-master$/, '');
  const { region, masterName } = c;

  // kube-up's create-master: `-https` has no --source-ranges, so Compute makes it 0.0.0.0/0 (the load
  // balancer's health checks and connections, and every client, reach 443); `-etcd` lets masters only
  // reach each other's etcd peer ports.
  await compute.mutate('POST', '/global/firewalls', {
    name: `${masterName}-https`,
    network: `global/networks/${NETWORK}`,
    targetTags: [masterName],
    allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
  });
  await compute.mutate('POST', '/global/firewalls', {
    name: `${masterName}-etcd`,
    network: `global/networks/${NETWORK}`,
    sourceTags: [masterName],
    allowed: [{ IPProtocol: 'tcp', ports: ['2380', '2381'] }],
    targetTags: [masterName],
  });
  await compute.mutate('POST', `/regions/${region}/addresses`, { name: `${masterName}-ip` });
  const staticIp = addressSchema.parse(
    await compute.call('GET', `/regions/${region}/addresses/${masterName}-ip`),
  ).address;

  const pki = await createClusterPki(masterName, staticIp);
  const names = c.suffixedNames ? uniqueSuffixedNames(masterName, c.zones.length) : [masterName];
  const subnet = subnetworkSchema.parse(await compute.call('GET', `/regions/${region}/subnetworks/default`));

  for (const [i, zone] of c.zones.entries()) {
    const name = names[i];
    if (!name) throw new Error('more zones than replica names');
    await compute.mutate('POST', `/zones/${zone}/disks`, {
      name: `${name}-pd`,
      sizeGb: '20',
      type: `zones/${zone}/diskTypes/pd-ssd`,
    });
    // The certificates name the internal IP, so the seed picks it before the instance exists.
    const internalIp = await lowestFreeIp(compute, region, subnet.ipCidrRange);
    const certs = await createReplicaCerts(pki, { name, internalIp });
    const metadata = buildMasterMetadata({
      masterName,
      clusterName: prefix,
      zone,
      staticIp,
      pki,
      certs,
      layout: c.layout,
      initialEtcdCluster: names,
      initialEtcdClusterState: 'new',
      multizone: c.multizone,
      quorumReads: c.quorumReads,
    });
    await compute.mutate('POST', `/zones/${zone}/instances`, {
      name,
      machineType: `zones/${zone}/machineTypes/${c.machineType}`,
      disks: [
        {
          boot: true,
          autoDelete: true,
          initializeParams: {
            sourceImage: c.bootDisk.image,
            diskSizeGb: String(c.bootDisk.sizeGb),
            diskType: `zones/${zone}/diskTypes/${c.bootDisk.type}`,
          },
        },
        {
          source: `projects/${SEED_PROJECT}/zones/${zone}/disks/${name}-pd`,
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
          accessConfigs: [
            { name: 'external-nat', type: 'ONE_TO_ONE_NAT', ...(c.loadBalanced ? {} : { natIP: staticIp }) },
          ],
        },
      ],
      // MASTER_TAG is `<prefix>-master`, which is MASTER_NAME.
      tags: { items: [masterName] },
      metadata: { items: metadata },
      labels: { 'kube-up-cluster': prefix },
      serviceAccounts: [{ email: 'default', scopes: [...KUBE_UP_MASTER_SCOPES] }],
      scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true },
      ...(c.minCpuPlatform ? { minCpuPlatform: c.minCpuPlatform } : {}),
    });
    log(`seed: ${name} in ${zone} at ${internalIp}`);
  }

  if (c.loadBalanced) {
    const instances = names.map(
      (n, i) => `${API_BASE}/projects/${SEED_PROJECT}/zones/${c.zones[i] ?? ''}/instances/${n}`,
    );
    await compute.mutate('POST', `/regions/${region}/targetPools`, { name: masterName, instances });
    await compute.mutate('POST', `/regions/${region}/forwardingRules`, {
      name: masterName,
      IPAddress: staticIp,
      IPProtocol: 'TCP',
      portRange: '443-443',
      target: `${API_BASE}/projects/${SEED_PROJECT}/regions/${region}/targetPools/${masterName}`,
    });
  }
  return names;
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(length: number): string {
  return Array.from({ length }, () => SUFFIX_ALPHABET.charAt(randomInt(SUFFIX_ALPHABET.length))).join('');
}

function uniqueSuffixedNames(masterName: string, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(`${masterName}-${randomSuffix(3)}`);
  return [...names];
}

async function lowestFreeIp(compute: ComputeHttp, region: string, cidr: string): Promise<string> {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`unexpected subnetwork range ${cidr}`);
  const base = m.slice(1, 5).reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(m[5]));
  const ipAt = (offset: number) =>
    [24, 16, 8, 0].map((shift) => Math.floor((base + offset) / 2 ** shift) % 256).join('.');
  const list = instanceAggregatedListSchema.parse(await compute.call('GET', '/aggregated/instances'));
  const used = new Set(
    Object.values(list.items ?? {})
      .flatMap((s) => s.instances ?? [])
      .flatMap((i) => (i.networkInterfaces ?? []).map((n) => n.networkIP)),
  );
  const addresses = addressListSchema.parse(await compute.call('GET', `/regions/${region}/addresses`));
  for (const a of addresses.items ?? []) used.add(a.address);
  // The network address, the gateway, the second-to-last and the broadcast address are GCE's.
  for (let host = 2; host <= size - 3; host++) {
    const ip = ipAt(host);
    if (!used.has(ip)) return ip;
  }
  throw new Error(`no free IP address in ${cidr}`);
}

// --- API servers and nodes ------------------------------------------------------------------

type ApiTarget = { name: string; ip: string; ca: string; cert: string; key: string };

function apiTarget(instance: z.infer<typeof instanceSchema>): ApiTarget {
  const ip = instance.networkInterfaces?.[0]?.networkIP;
  const kubeEnvText = instance.metadata?.items?.find((m) => m.key === 'kube-env')?.value;
  if (!ip || !kubeEnvText) throw new Error(`${instance.name}: no internal IP or kube-env`);
  const env = parseKubeYaml(kubeEnvText);
  const pem = (key: string) => {
    const v = env[key];
    if (!v) throw new Error(`${instance.name}: kube-env has no ${key}`);
    return decodeBase64Pem(v);
  };
  return { name: instance.name, ip, ca: pem('CA_CERT'), cert: pem('KUBECFG_CERT'), key: pem('KUBECFG_KEY') };
}

async function waitForApiServers(
  compute: ComputeHttp,
  names: string[],
  zones: string[],
  signal?: AbortSignal,
): Promise<ApiTarget[]> {
  const targets = await Promise.all(
    names.map(async (name, i) =>
      apiTarget(instanceSchema.parse(await compute.call('GET', `/zones/${zones[i] ?? ''}/instances/${name}`))),
    ),
  );
  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(targets.map((t) => waitForReady(t, deadline, signal)));
  return targets;
}

async function waitForReady(target: ApiTarget, deadline: number, signal?: AbortSignal): Promise<void> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const res = await kubeRequest(target, 'GET', '/readyz');
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.trim().split('\n').slice(-2).join(' ')}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(300, signal);
  }
  throw new Error(`API server of ${target.name} (${target.ip}:${APISERVER_PORT}) not ready: ${last}`);
}

async function registerNodes(api: ApiTarget, c: SeedCluster): Promise<void> {
  const prefix = c.masterName.replace(/-master$/, '');
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const taken = new Set<string>();
  for (const group of c.nodes) {
    for (let i = 0; i < group.count; i++) {
      let name: string;
      do name = `${prefix}-minion-group-${randomSuffix(4)}`;
      while (taken.has(name));
      taken.add(name);
      const node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node.kubernetes.io/instance-type': 'e2-standard-2',
            'topology.kubernetes.io/zone': group.zone,
            'topology.kubernetes.io/region': c.region,
          },
        },
        spec: { providerID: `gce://${SEED_PROJECT}/${group.zone}/${name}` },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [{ type: 'Hostname', address: name }],
        },
      };
      const res = await kubeRequest(api, 'POST', '/api/v1/nodes', JSON.stringify(node));
      if (res.status !== 201 && res.status !== 409)
        throw new Error(`registering node ${name}: HTTP ${res.status} ${res.body}`);
    }
  }
}

function kubeRequest(
  target: ApiTarget,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: target.ip,
        port: APISERVER_PORT,
        // MASTER_CERT names the static IP and the `kubernetes` names, no replica address (as kube-up's).
        servername: 'kubernetes',
        method,
        path,
        ca: target.ca,
        cert: target.cert,
        key: target.key,
        timeout: 5_000,
        headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// --- the emulator's API, as any HTTP client sees it ---------------------------------------------

const operationSchema = z.object({
  name: z.string(),
  status: z.string(),
  selfLink: z.string(),
  error: z.object({ errors: z.array(z.object({ code: z.string(), message: z.string() })) }).optional(),
});

const addressSchema = z.object({ address: z.string() });
const addressListSchema = z.object({ items: z.array(addressSchema).optional() });
const subnetworkSchema = z.object({ ipCidrRange: z.string() });

const instanceSchema = z.object({
  name: z.string(),
  status: z.string(),
  networkInterfaces: z.array(z.object({ networkIP: z.string() })).optional(),
  metadata: z.object({ items: z.array(z.object({ key: z.string(), value: z.string() })).optional() }).optional(),
});

const instanceAggregatedListSchema = z.object({
  items: z.record(z.string(), z.object({ instances: z.array(instanceSchema).optional() })).optional(),
});

class ComputeHttp {
  private readonly root: string;

  constructor(
    private readonly baseUrl: string,
    project: string,
    private readonly signal?: AbortSignal,
  ) {
    this.root = `${baseUrl}/compute/v1/projects/${project}`;
  }

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.fetchJson(method, `${this.root}${path}`, body);
  }

  /** `gcloud ... describe` as kube-up uses it: true when the resource is there, false on a 404. */
  async exists(path: string): Promise<boolean> {
    const res = await fetch(`${this.root}${path}`, { signal: this.signal });
    await res.arrayBuffer();
    if (res.status === 404) return false;
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return true;
  }

  /** Sends a mutation and waits on its Operation; an Operation error is thrown. */
  async mutate(method: string, path: string, body?: unknown): Promise<void> {
    let op = operationSchema.parse(await this.call(method, path, body));
    const waitUrl = `${op.selfLink.replace(API_BASE, `${this.baseUrl}/compute/v1`)}/wait`;
    while (op.status !== 'DONE') op = operationSchema.parse(await this.fetchJson('POST', waitUrl));
    const failure = op.error?.errors[0];
    if (failure) throw new Error(`${method} ${path}: ${failure.code}: ${failure.message}`);
  }

  private async fetchJson(method: string, url: string, body?: unknown): Promise<unknown> {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.signal,
    });
    const json: unknown = await res.json();
    if (!res.ok)
      throw new Error(`${method} ${url.replace(this.baseUrl, '')}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}
