// Fleet benchmark (issue 11): what one refresh of the fleet costs the real dashboard in Compute requests and time at
// 10, 50 and 200 clusters, and the dashboard process's memory.
//
// The Compute resources live in the emulator (bench/fleet-emulator.ts, a process of its own with a stand-in VM host:
// nothing boots, no packet is sent). Each cluster is made as kube-up makes one (see the fleet below): master
// instances with the twin's kube-up metadata (kube-env and kube-master-certs of the cluster's own PKI, ~11 KB per
// instance), each inserted then stopped (TERMINATED), so none boots and nothing is probed over SSH; a target pool
// of them, a static address and a forwarding rule. The dashboard is the built app (`next start`, as `npm start`
// runs it: tests/support/dashboard-process.ts) with QUORUM_PROJECTS set to the bench project and the emulator
// behind an HTTP proxy that counts Compute requests. The bench signs in as the bootstrap admin and refreshes the
// fleet as the fleet page does when it polls: GET /api/fleet (its live stream reads the same snapshots).
//
// Run: npm run bench:fleet   (builds the dashboard first when .next is missing or older than the sources; prints
// numbers; it is not a test and asserts nothing)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  dashboardReady,
  signInAsBootstrapAdmin,
  startDashboard,
  type DashboardProcess,
} from '../tests/support/dashboard-process';

const PROJECT = 'bench-project';
const SIZES = (process.env.BENCH_SIZES ?? '10,50,200').split(',').map(Number);
const REPLICAS = 5;
const REFRESHES = 5;
/** QUORUM_COMPUTE_REFRESH_MS, its default: the period of the project's Compute snapshot. */
const COMPUTE_REFRESH_MS = 5_000;
const APP_PORT = Number(process.env.BENCH_APP_PORT ?? 3105);
const REGIONS = [
  { name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'] },
  { name: 'us-central1', zones: ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'] },
];
const SUFFIXES = ['', '-a1b', '-c2d', '-e3f', '-g4h'];

// --- the build ------------------------------------------------------------------------------------------------

/** What `next build` reads; tests are not part of the build. */
const BUILD_INPUTS = [
  'app',
  'components',
  'lib',
  'public',
  'proxy.ts',
  'instrumentation.ts',
  'next.config.js',
  'postcss.config.mjs',
  'tsconfig.json',
  'package-lock.json',
];

function newestInput(path: string): { path: string; mtimeMs: number } {
  const s = statSync(path);
  if (!s.isDirectory()) return { path, mtimeMs: s.mtimeMs };
  let newest = { path, mtimeMs: 0 };
  for (const entry of readdirSync(path)) {
    if (/\.test\.tsx?$/.test(entry)) continue;
    const n = newestInput(join(path, entry));
    if (n.mtimeMs > newest.mtimeMs) newest = n;
  }
  return newest;
}

/** Why the build in .next cannot be used, or null when it is newer than every source it was built from. */
function buildProblem(): string | null {
  const id = '.next/BUILD_ID';
  if (!existsSync(id)) return 'there is no build (.next/BUILD_ID)';
  const built = statSync(id).mtimeMs;
  const newest = BUILD_INPUTS.filter((p) => existsSync(p))
    .map(newestInput)
    .reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  return newest.mtimeMs > built ? `${newest.path} is newer than the build` : null;
}

async function buildDashboard(reason: string): Promise<void> {
  const log = join(tmpdir(), `quorum-bench-fleet-build-${process.pid}.log`);
  console.log(`Building the dashboard (npm run build; ${reason}); its output goes to ${log}`);
  const { openSync } = await import('node:fs');
  const out = openSync(log, 'w');
  const child = spawn('npm', ['run', 'build'], { stdio: ['ignore', out, out] });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`npm run build failed (exit ${String(code)}); see ${log}`);
}

// --- the emulator and the counting proxy ----------------------------------------------------------------------

type EmulatorProcess = { port: number; staticAddresses: number; stop: () => void };

async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    [resolve('node_modules/tsx/dist/cli.mjs'), '--conditions=react-server', 'bench/fleet-emulator.ts'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = /^port (\d+) static-addresses (\d+)$/.exec(line);
    if (m?.[1] && m[2]) return { port: Number(m[1]), staticAddresses: Number(m[2]), stop: () => child.stdin?.end() };
  }
  throw new Error('the emulator exited before it listened');
}

type ComputeRequest = { method: string; path: string; startedAt: number; endedAt: number | null };

/** Relays to the emulator, recording every Compute API request (method, path without query, start, end). */
async function countingProxy(target: number) {
  const requests: ComputeRequest[] = [];
  const server = http.createServer((req, res) => {
    let record: ComputeRequest | null = null;
    if (req.url?.startsWith('/compute/v1/')) {
      record = {
        method: req.method ?? '?',
        path: req.url.split('?')[0] ?? '',
        startedAt: performance.now(),
        endedAt: null,
      };
      requests.push(record);
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          if (record) record.endedAt = performance.now();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, requests, close: () => server.close() };
}

/** Waits until no Compute request has been in flight or started for `quietMs`. */
async function computeQuiet(requests: readonly ComputeRequest[], quietMs = 500): Promise<void> {
  for (;;) {
    const last = requests.reduce((t, r) => Math.max(t, r.endedAt ?? Infinity, r.startedAt), 0);
    if (last !== Infinity && performance.now() - last >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `GET aggregated/instances`-like names of the requests, counted. */
function describeRequests(requests: readonly ComputeRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const name = `${r.method} ${r.path.replace(`/compute/v1/projects/${PROJECT}/`, '').replace(/^(regions|zones)\/[^/]+/, '$1/*')}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} x ${k}`).join(', ');
}

// --- the fleet ------------------------------------------------------------------------------------------------

async function inPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await work(item);
      }
    }),
  );
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A fleet of `clusters` x `replicas` made straight on the emulator (not through Quorum or its budget). */
async function makeFleet(
  emulatorPort: number,
  clusters: number,
  replicas: number,
  staticAddresses: number,
): Promise<void> {
  const { createGceClients, closeGceClients, GceCompute } = await import('../lib/adapters/gce/gce-compute');
  const { operationOf, waitForOperation } = await import('../lib/adapters/gce/gce-operations');
  const { buildMasterMetadata, createClusterPki, createReplicaCerts } = await import('../sandbox/pki/index');
  const gce = createGceClients({ kind: 'sandbox', port: emulatorPort });
  const maker = new GceCompute(gce, 60_000);
  try {
    // Each region's subnetwork as Compute reports it: internal IPs are picked in it (the certificates name them,
    // so they are chosen before the insert, as the sandbox's seed does), from its first usable host (.2).
    const subnets = new Map<string, number>();
    for (const r of REGIONS) {
      const res = await fetch(
        `http://127.0.0.1:${emulatorPort}/compute/v1/projects/${PROJECT}/regions/${r.name}/subnetworks/default`,
      );
      const { ipCidrRange } = (await res.json()) as { ipCidrRange: string };
      subnets.set(r.name, ipToInt(ipCidrRange.split('/')[0] ?? '') + 2);
    }
    await inPool(
      Array.from({ length: clusters }, (_, i) => i),
      16,
      async (i) => {
        const region = REGIONS[i % REGIONS.length] ?? REGIONS[0];
        if (!region) return;
        const prefix = `f${String(i).padStart(3, '0')}`;
        const master = `${prefix}-master`;
        const balanced = i < staticAddresses;
        const staticIp = balanced
          ? (await maker.insertAddress(PROJECT, region.name, `${master}-ip`)).address
          : '203.0.113.1';
        const pki = await createClusterPki(master, staticIp);
        const placed = SUFFIXES.slice(0, replicas).map((s, r) => ({
          name: `${master}${s}`,
          zone: region.zones[r % region.zones.length] ?? '',
        }));
        const names = placed.map((p) => p.name);
        for (const [r, { name, zone }] of placed.entries()) {
          const internalIp = intToIp((subnets.get(region.name) ?? 0) + Math.floor(i / REGIONS.length) * replicas + r);
          const certs = await createReplicaCerts(pki, { name, internalIp });
          const metadata = buildMasterMetadata({
            masterName: master,
            clusterName: prefix,
            zone,
            staticIp,
            pki,
            certs,
            layout: 'mtls',
            initialEtcdCluster: names,
            initialEtcdClusterState: 'new',
            multizone: true,
            quorumReads: false,
          });
          await maker.insertInstance({
            project: PROJECT,
            zone,
            name,
            machineType: 'n1-standard-1',
            networkIP: internalIp,
            tags: [master],
            metadata,
            externalIp: 'none',
          });
          // Stopped at once: a Compute resource like any other, but no VM to boot or probe.
          await waitForOperation(
            gce,
            PROJECT,
            operationOf(await gce.instances.stop({ project: PROJECT, zone, instance: name })),
            60_000,
          );
        }
        await maker.insertTargetPool(PROJECT, region.name, { name: master, instances: placed });
        if (balanced)
          await maker.insertForwardingRule(PROJECT, region.name, {
            name: master,
            ipAddress: staticIp,
            portRange: '443-443',
            target: master,
          });
      },
    );
  } finally {
    await closeGceClients(gce);
  }
}

// --- the dashboard --------------------------------------------------------------------------------------------

/** VmRSS and VmHWM (peak) of a process and of every process under it, in kB, from /proc. */
function memoryOf(pid: number): { rssKb: number; hwmKb: number; processes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  let total = { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), processes: 1 };
  let children = '';
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  } catch {
    // a kernel without CONFIG_PROC_CHILDREN: the process alone
  }
  for (const child of children === '' ? [] : children.split(/\s+/).map(Number)) {
    const m = memoryOf(child);
    total = { rssKb: total.rssKb + m.rssKb, hwmKb: total.hwmKb + m.hwmKb, processes: total.processes + m.processes };
  }
  return total;
}

type FleetBody = { clusters: Array<{ ok: boolean }> };

async function getFleet(baseUrl: string, cookie: string): Promise<{ ms: number; ok: number; all: number }> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/api/fleet`, { headers: { cookie }, cache: 'no-store' });
  const body = (await res.json()) as FleetBody;
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET /api/fleet: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { ms, ok: body.clusters.filter((c) => c.ok).length, all: body.clusters.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const range = (xs: number[]) =>
  Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}-${Math.max(...xs)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Row = {
  clusters: number;
  replicas: number;
  instances: number;
  balanced: number;
  coldCalls: number;
  coldMs: number;
  calls: number[];
  getMs: number[];
  readMs: number[];
  seen: string;
  rssMb: number;
  hwmMb: number;
  processes: number;
  detail: string;
};

/** Refuses a port something already listens on: the bench would measure that instead of its own dashboard. */
async function assertPortFree(port: number): Promise<void> {
  const server = http.createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', () => fail(new Error(`port ${port} is in use; set BENCH_APP_PORT to a free one`)));
    server.listen(port, '127.0.0.1', done);
  });
  await new Promise((done) => server.close(done));
}

async function measure(size: number): Promise<Row> {
  await assertPortFree(APP_PORT);
  const emulator = await startEmulatorProcess();
  const proxy = await countingProxy(emulator.port);
  const dataDir = mkdtempSync(join(tmpdir(), 'quorum-bench-fleet-dash-'));
  let dashboard: DashboardProcess | null = null;
  try {
    const subnetHosts = await (async () => {
      const res = await fetch(
        `http://127.0.0.1:${emulator.port}/compute/v1/projects/${PROJECT}/regions/${REGIONS[0]?.name ?? ''}/subnetworks/default`,
      );
      const { ipCidrRange } = (await res.json()) as { ipCidrRange: string };
      // GCE keeps four addresses of every subnetwork: network, gateway, second-to-last and broadcast.
      return 2 ** (32 - Number(ipCidrRange.split('/')[1])) - 4;
    })();
    const perRegion = Math.ceil(size / REGIONS.length);
    const replicas = Math.min(REPLICAS, Math.floor(subnetHosts / perRegion));
    const balanced = Math.min(size, emulator.staticAddresses);
    const t0 = performance.now();
    await makeFleet(emulator.port, size, replicas, balanced);
    console.error(`  ${size} clusters x ${replicas} made in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    dashboard = startDashboard({
      port: APP_PORT,
      dataDir,
      logFile: join(dataDir, 'dashboard.log'),
      env: {
        QUORUM_PROVIDER: 'sandbox',
        SANDBOX_PORT: String(proxy.port),
        QUORUM_PROJECTS: PROJECT,
        QUORUM_COMPUTE_REFRESH_MS: String(COMPUTE_REFRESH_MS),
      },
    });
    const baseUrl = `http://127.0.0.1:${APP_PORT}`;
    await dashboardReady(dashboard, APP_PORT);
    const cookie = await signInAsBootstrapAdmin(baseUrl, dataDir);
    await computeQuiet(proxy.requests);

    // The first refresh after the start: no snapshot yet, so it waits for the project's reads (and, once per
    // 5 minutes, each region's zones).
    let mark = proxy.requests.length;
    const cold = await getFleet(baseUrl, cookie);
    await computeQuiet(proxy.requests);
    const coldCalls = proxy.requests.length - mark;
    const coldDetail = describeRequests(proxy.requests.slice(mark));

    // Then as the page polls: each GET past the snapshot's period answers with the last snapshot at once and starts
    // the next read, which the following GET shows. Counted per GET: the Compute requests it started (until Compute
    // is quiet again), the GET's own time, and the read's time (first request sent to last answer received).
    const calls: number[] = [];
    const getMs: number[] = [];
    const readMs: number[] = [];
    let seen = cold;
    let detail = '';
    for (let i = 0; i < REFRESHES; i++) {
      await sleep(COMPUTE_REFRESH_MS + 200);
      mark = proxy.requests.length;
      const got = await getFleet(baseUrl, cookie);
      await computeQuiet(proxy.requests);
      const made = proxy.requests.slice(mark);
      calls.push(made.length);
      getMs.push(got.ms);
      readMs.push(
        made.length === 0
          ? 0
          : Math.max(...made.map((r) => r.endedAt ?? NaN)) - Math.min(...made.map((r) => r.startedAt)),
      );
      seen = got;
      detail = describeRequests(made);
    }
    const mem = memoryOf(dashboard.pid);
    return {
      clusters: size,
      replicas,
      instances: size * replicas,
      balanced,
      coldCalls,
      coldMs: cold.ms,
      calls,
      getMs,
      readMs,
      seen: `${seen.ok}/${seen.all}`,
      rssMb: mem.rssKb / 1024,
      hwmMb: mem.hwmKb / 1024,
      processes: mem.processes,
      detail: `first: ${coldDetail}; then: ${detail}`,
    };
  } finally {
    await dashboard?.stop();
    proxy.close();
    emulator.stop();
    if (process.env.BENCH_KEEP_DATA) console.error(`  dashboard data and log kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const problem = buildProblem();
  if (problem) await buildDashboard(problem);

  const rows: Row[] = [];
  for (const size of SIZES) rows.push(await measure(size));

  console.log('');
  console.log(
    `Fleet refresh of the built dashboard (next start, QUORUM_PROJECTS=${PROJECT}, QUORUM_COMPUTE_REFRESH_MS=${COMPUTE_REFRESH_MS}), signed in,`,
  );
  console.log(
    `GET /api/fleet as the fleet page polls it; Compute requests counted at a proxy in front of the emulator.`,
  );
  console.log(
    `Instances inserted with kube-up metadata, then stopped (TERMINATED): none boots, none is probed. Median of ${REFRESHES} refreshes.`,
  );
  console.log('');
  console.log(
    'clusters  replicas  instances  with LB  first GET: calls  ms  |  refresh: Compute calls  GET ms  Compute read ms  |  clusters seen  dashboard RSS MB  peak (VmHWM) MB',
  );
  for (const r of rows) {
    console.log(
      [
        String(r.clusters).padStart(8),
        String(r.replicas).padStart(8),
        String(r.instances).padStart(9),
        String(r.balanced).padStart(7),
        String(r.coldCalls).padStart(16),
        r.coldMs.toFixed(0).padStart(5),
        ' ',
        range(r.calls).padStart(21),
        median(r.getMs).toFixed(0).padStart(6),
        median(r.readMs).toFixed(0).padStart(15),
        ' ',
        r.seen.padStart(13),
        r.rssMb.toFixed(0).padStart(16),
        r.hwmMb.toFixed(0).padStart(15),
      ].join('  '),
    );
  }
  console.log('');
  for (const r of rows) console.log(`${String(r.clusters).padStart(3)} clusters: ${r.detail}`);
  const processes = new Set(rows.map((r) => r.processes));
  console.log('');
  console.log(
    'Targets: the same number of Compute calls at every size, at most 5 per project; refresh under 2 s at 200; RSS under 300 MB.',
  );
  console.log(
    "A refresh: the GET answers from the project's Compute snapshot at once and starts the next read (one aggregatedList each of",
  );
  console.log(
    'master-named instances, forwarding rules, target pools and addresses), which the next GET shows; "Compute read ms" is that',
  );
  console.log(
    "read, first request sent to last answer. The first GET after the start waits for the read (and lists each region's zones,",
  );
  console.log(
    'kept 5 minutes). Before issue 11 a refresh cost 1 + 4 per cluster (801 at 200 clusters). An aggregatedList page holds up',
  );
  console.log('to 500 items: a project with more than 500 master instances takes one more instances request per 500.');
  console.log(
    `RSS: VmRSS of the next start process${[...processes].some((n) => n > 1) ? ' and its children' : ''} (/proc/<pid>/status) after the refreshes; peak: its VmHWM.`,
  );
  const fewer = rows.filter((r) => r.replicas < REPLICAS);
  if (fewer.length > 0) {
    console.log(
      `The emulator's subnetworks hold fewer than ${REPLICAS} replicas per cluster at ${fewer.map((r) => r.clusters).join(', ')} clusters: they have fewer replicas.`,
    );
  }
  const unbalanced = rows.filter((r) => r.balanced < r.clusters);
  if (unbalanced.length > 0) {
    console.log(
      `The emulator's static address pool is smaller than ${unbalanced.map((r) => r.clusters).join(', ')}: clusters past it have a target pool but no address or forwarding rule.`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
