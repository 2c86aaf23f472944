// The sandbox's one HTTP server: Compute Engine v1 REST under /compute/v1, the metadata server under
// /computeMetadata/v1, and sandbox-only controls under /sandbox/v1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { APISERVER_PORT } from '../pki/index';
import { SandboxNetwork, type SandboxNetworkOptions } from '../net/sandbox-network';
import type { FirewallEnforcer } from '../net/twin-network';
import { ChaosControls, type NetworkFaults } from '../chaos/controls';
import { handleComputeFaults, withComputeFaults } from '../chaos/compute-faults';
import { handleComputeRequests, recordComputeRequest } from '../chaos/compute-requests';
import { handleZoneApiChaos, zoneApiRefusal } from '../chaos/zone-api';
import type { VmChaos, VmHost } from '../vm/types';
import { REGIONS } from './catalog';
import { Cloud } from './cloud';
import { GceError } from './gce-error';
import { ingressRulesetOf } from './firewall-view';
import { etagOf, handleMetadataRequest } from './metadata-server';
import { networkView } from './network-view';
import { handleComputeRequest } from './router';
import { computeRefusal, handleIamControl, handleResourceManagerRequest, SandboxIam } from './iam';
import { autoModeAddressPlan } from './ip-plan';
import { ensurePrivateSandboxDir, loadOrCreateState } from './state-file';

export type EmulatorOptions = {
  /** QUORUM_DATA_DIR; the sandbox keeps its state under `<dataDir>/sandbox/`. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  net: number;
  opDelayMs: number;
  /** How long a stopped or deleted instance is DEPROVISIONING (default opDelayMs / 4). */
  deprovisioningMs?: number;
  bootDelayMs: number;
  /** Time from a forwarding rule's insert being DONE to the rule forwarding. */
  lbDelayMs: number;
  /** Time between the load balancer's health rounds (default 1000). */
  lbHealthIntervalMs?: number;
  /** Port external IPs forward, and a forwarding rule without portRange (default SANDBOX_APISERVER_PORT). */
  apiServerPort?: number;
  waitTimeoutMs?: number;
  vmHost: VmHost;
  /** Serves /sandbox/v1/chaos when given with `faults` (the real VM host and network); tests with stand-in VMs leave it out. */
  chaos?: VmChaos;
  faults?: NetworkFaults;
  log?: (line: string) => void;
  /** One log line per request. */
  verbose?: boolean;
  /**
   * Where the VMs reach the metadata server: an address of the sandbox's bridge (the VMs' own proxy at
   * 169.254.169.254 forwards there). Only /computeMetadata/v1/ is served on it, never the Compute API.
   */
  metadataListen?: { host: string; port: number };
  /**
   * Enforces the firewall rules inside the VMs (the twin's network): told where each VM's ruleset comes
   * from before any VM boots, and to re-read it after every change of the cloud. Tests with stand-in VMs
   * leave it out (their VMs are unfiltered).
   */
  firewall?: FirewallEnforcer;
  /** How the load balancer and external IPs sit on the twin's network (sandbox/net). */
  networkOptions?: Pick<SandboxNetworkOptions, 'natPorts' | 'backendLocalAddress' | 'addresses'>;
  /** Permissions the caller lacks (SANDBOX_DENIED_PERMISSIONS): see iam.ts. */
  deniedPermissions?: readonly string[];
  /**
   * Where addresses come from (ip-plan.ts): `twin` (default), the twin's plan for `net`, which the VMs and the
   * network live on; or `auto-mode`, Compute Engine's own auto-mode plan (a /20 per region), for an emulator whose
   * addresses are never put on an interface: a stand-in VM host and none of the twin's network (refused with
   * `firewall`, `networkOptions`, `metadataListen` or the chaos controls).
   */
  addressPlan?: 'twin' | 'auto-mode';
  /**
   * False: the cloud is kept in memory only and state.json is never written, for an emulator that is never
   * restarted (bench:fleet's, whose thousand instances with kube-up metadata make state.json tens of MB, rewritten
   * and fsynced after every mutation). Compute's answers are the same. Default true.
   */
  persistState?: boolean;
};

export type Emulator = {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly cloud: Cloud;
  /** False when there was no state.json: the seed has to run. */
  readonly stateExisted: boolean;
  readonly lbDelayMs: number;
  /** The TCP forwarders of forwarding rules and external IPs. */
  readonly network: SandboxNetwork;
  /** The chaos controls, when the emulator was given a VmChaos. */
  readonly chaos: ChaosControls | undefined;
  /** The caller's permissions: testIamPermissions answers from it and Compute refuses what it denies. */
  readonly iam: SandboxIam;
  isSeedComplete(): boolean;
  /** Also ends the propagation delay of the seed's forwarding rules. */
  markSeedComplete(): void;
  /** What /sandbox/v1/health reports as `seeded`. */
  setSeeded(seeded: boolean): void;
  /** Reported by /sandbox/v1/health as `seedError`, so whoever waits for `seeded` can stop waiting. */
  setSeedError(message: string): void;
  close(): Promise<void>;
};

const MAX_BODY_BYTES = 16 * 1024 * 1024;

const NO_BODY = Symbol('no body');

/** The request's JSON body; a malformed one is answered here with GCE's error JSON, and NO_BODY returned. */
async function jsonBodyOrAnswer(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  try {
    return parseJson(await readBody(req));
  } catch (err) {
    if (!(err instanceof GceError)) throw err;
    sendJson(res, err.httpStatus, err.toJSON());
    return NO_BODY;
  }
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  if (
    opts.addressPlan === 'auto-mode' &&
    (opts.firewall || opts.networkOptions || opts.metadataListen || opts.chaos || opts.faults)
  ) {
    throw new Error(
      "addressPlan 'auto-mode' is for emulators with a stand-in VM host and no network: its addresses are not the twin's",
    );
  }
  const log = opts.log ?? ((line: string) => console.log(line));
  const host = opts.host ?? '127.0.0.1';
  const sandboxDir = ensurePrivateSandboxDir(opts.dataDir);
  const { state, existed } = loadOrCreateState(join(sandboxDir, 'state.json'));
  // Requests that arrive before the Cloud exists (it needs the bound port) get a 503.
  const live: { cloud?: Cloud; chaos?: ChaosControls } = {};
  let seeded = false;
  let seedError: string | undefined;
  const iam = new SandboxIam(opts.deniedPermissions ?? []);

  // Idle keep-alive connections stay open for a minute, as Google's front ends keep them (Node's default is 5 s).
  // Clients pool sockets (Node 20's global agent keeps them alive), and a server that closes an idle socket just
  // as a client reuses it answers that request with nothing ("socket hang up").
  const server = createServer((req, res) => {
    const started = Date.now();
    res.on('finish', () => {
      if (opts.verbose) log(`${req.method ?? '?'} ${req.url ?? ''} ${res.statusCode} ${Date.now() - started}ms`);
    });
    dispatch(req, res).catch((err: unknown) => {
      log(
        `sandbox: ${req.method ?? '?'} ${req.url ?? ''} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      if (!res.headersSent)
        sendJson(res, 500, new GceError(500, 'backendError', 'Internal error in the sandbox.').toJSON());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cloud = live.cloud;
    if (!cloud) {
      sendJson(res, 503, new GceError(503, 'backendError', 'The sandbox is starting.').toJSON());
      return;
    }
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (path.startsWith('/compute/v1/')) {
      const body = await jsonBodyOrAnswer(req, res);
      if (body === NO_BODY) return;
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const computePath = path.slice('/compute/v1'.length);
      const answer =
        computeRefusal(iam, method, computePath, body) ??
        zoneApiRefusal(cloud, computePath) ??
        live.chaos?.refusal(method, computePath) ??
        (await withComputeFaults(cloud, method, computePath, url.searchParams, body, () =>
          handleComputeRequest(cloud, method, computePath, url.searchParams, body, abort.signal),
        ));
      recordComputeRequest(cloud, {
        httpMethod: method,
        path: computePath,
        query: url.searchParams,
        body,
        status: answer.status,
      });
      sendJson(res, answer.status, answer.body);
      return;
    }
    // The emulator's own log of the Compute requests it answered (sandbox/chaos/compute-requests.ts).
    const requests = handleComputeRequests(cloud, method, path, url.searchParams);
    if (requests) {
      sendJson(res, requests.status, requests.body);
      return;
    }
    if (path.startsWith('/computeMetadata/v1/')) {
      const flavor = req.headers['metadata-flavor'];
      const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      let body = '';
      try {
        body = method === 'PUT' ? await readBody(req) : '';
      } catch (err) {
        if (!(err instanceof GceError)) throw err;
        res.writeHead(err.httpStatus, { 'Content-Type': 'application/text', 'Metadata-Flavor': 'Google' });
        res.end(`${err.message}\n`);
        return;
      }
      const answer = await handleMetadataRequest(cloud, {
        method,
        path: path.slice('/computeMetadata/v1'.length),
        query: url.searchParams,
        flavor: Array.isArray(flavor) ? flavor[0] : flavor,
        remoteAddress: remote,
        body,
        signal: abort.signal,
      });
      if (res.destroyed) return;
      res.writeHead(answer.status, {
        'Content-Type': answer.contentType,
        'Metadata-Flavor': 'Google',
        ETag: etagOf(answer),
      });
      res.end(answer.body);
      return;
    }
    // Sandbox fault injection for Compute calls (sandbox/chaos/compute-faults.ts): works with any VM host.
    if (path === '/sandbox/v1/chaos/compute-faults') {
      const body = method === 'POST' ? await jsonBodyOrAnswer(req, res) : null;
      if (body === NO_BODY) return;
      const answer = handleComputeFaults(cloud, method, path, body);
      if (answer) {
        sendJson(res, answer.status, answer.body);
        return;
      }
    }
    // Cloud Resource Manager v1 (projects.testIamPermissions), served on the same port.
    if (path.startsWith('/v1/projects/')) {
      const body = await jsonBodyOrAnswer(req, res);
      if (body === NO_BODY) return;
      const answer = handleResourceManagerRequest(iam, method, path, body);
      if (answer) {
        sendJson(res, answer.status, answer.body);
        return;
      }
    }
    if (path === '/sandbox/v1/chaos/iam') {
      const body = method === 'POST' ? await jsonBodyOrAnswer(req, res) : undefined;
      if (body === NO_BODY) return;
      const answer = handleIamControl(iam, method, path, body);
      if (answer) {
        sendJson(res, answer.status, answer.body);
        return;
      }
    }
    // Sandbox chaos "zone API down" (sandbox/chaos/zone-api.ts): works with any VM host.
    const zoneApi = handleZoneApiChaos(cloud, method, path);
    if (zoneApi) {
      sendJson(res, zoneApi.status, zoneApi.body);
      return;
    }
    if (live.chaos && (path === '/sandbox/v1/chaos' || path.startsWith('/sandbox/v1/chaos/'))) {
      const body = await jsonBodyOrAnswer(req, res);
      if (body === NO_BODY) return;
      const answer = await live.chaos.handle(method, path, body);
      sendJson(res, answer.status, answer.body);
      return;
    }
    if (path === '/sandbox/v1/health' && method === 'GET') {
      sendJson(res, 200, { ok: true, seeded, ...(seedError !== undefined ? { seedError } : {}) });
      return;
    }
    sendJson(
      res,
      404,
      new GceError(404, 'notFound', `The requested URL ${path} was not found on this server.`).toJSON(),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  const metadataServer = opts.metadataListen
    ? createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://metadata').pathname;
        if (!path.startsWith('/computeMetadata/v1/')) {
          sendJson(
            res,
            404,
            new GceError(404, 'notFound', `The requested URL ${path} was not found on this server.`).toJSON(),
          );
          return;
        }
        dispatch(req, res).catch((err: unknown) => {
          log(`sandbox: metadata ${req.url ?? ''} failed: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        });
      })
    : undefined;
  if (metadataServer && opts.metadataListen) {
    const at = opts.metadataListen;
    await new Promise<void>((resolve, reject) => {
      metadataServer.once('error', reject);
      metadataServer.listen(at.port, at.host, () => {
        metadataServer.off('error', reject);
        resolve();
      });
    });
  }

  const c = new Cloud(
    {
      sandboxDir,
      net: opts.net,
      ...(opts.addressPlan === 'auto-mode' ? { addressPlan: autoModeAddressPlan(REGIONS.map((r) => r.name)) } : {}),
      ...(opts.persistState === false ? { persistState: false } : {}),
      opDelayMs: opts.opDelayMs,
      ...(opts.deprovisioningMs === undefined ? {} : { deprovisioningMs: opts.deprovisioningMs }),
      bootDelayMs: opts.bootDelayMs,
      lbDelayMs: opts.lbDelayMs,
      waitTimeoutMs: opts.waitTimeoutMs ?? 120_000,
      metadataUrl: `${url}/computeMetadata/v1`,
      vmHost: opts.vmHost,
      log,
    },
    state,
  );
  // Operations in flight when the sandbox last stopped finish now; then the VMs that were RUNNING boot again.
  c.completePendingOperations();
  live.cloud = c;
  const firewall = opts.firewall;
  if (firewall) {
    // A firewall rule, an instance's tags or the instances carrying a source tag may have changed: each VM
    // whose ruleset differs gets the new one (a VM that boots gets its own before its processes start).
    await firewall.setFirewallSource((name) => ingressRulesetOf(c, name));
    c.onChange(() => {
      firewall
        .refreshFirewall()
        .catch((err: unknown) => log(`firewall: ${err instanceof Error ? err.message : String(err)}`));
    });
  }
  c.bootRunningInstances();
  // Rules that existed before this start forward at once; every later change re-reconciles the listeners.
  const apiServerPort = opts.apiServerPort ?? APISERVER_PORT;
  const network = new SandboxNetwork({
    view: () => networkView(c, apiServerPort, (zone) => live.chaos?.isZoneDown(zone) ?? false),
    natPort: apiServerPort,
    ...opts.networkOptions,
    healthIntervalMs: opts.lbHealthIntervalMs,
    log,
  });
  c.onChange(() => network.reconcile());
  network.start();
  if (opts.chaos && opts.faults)
    live.chaos = new ChaosControls(c, opts.chaos, opts.faults, () => network.reconcile(), log);

  return {
    port,
    url,
    cloud: c,
    stateExisted: existed,
    lbDelayMs: opts.lbDelayMs,
    network,
    chaos: live.chaos,
    iam,
    isSeedComplete: () => c.state.seedComplete,
    markSeedComplete: () => {
      c.state.seedComplete = true;
      // The seed stands in for clusters that ran long before the sandbox: their rules are programmed.
      for (const [rule, from] of c.forwardingFrom) if (from !== Infinity) c.forwardingFrom.delete(rule);
      c.persist();
    },
    setSeeded: (value) => {
      seeded = value;
    },
    setSeedError: (message) => {
      seedError = message;
    },
    close: async () => {
      network.close();
      await c.close();
      await Promise.all(
        [server, metadataServer].map(
          (srv) =>
            new Promise<void>((resolve) => {
              if (!srv) return resolve();
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      );
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new GceError(413, 'requestTooLarge', 'Request body too large.');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GceError(400, 'parseError', 'Parse Error');
  }
}
