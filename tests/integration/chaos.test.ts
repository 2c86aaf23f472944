// Each chaos control of the sandbox, applied through the dashboard's own path (the chaos service and its
// HTTP adapter), then the dashboard's observation: it must classify the failure as the class the control
// stands for, with the evidence, keep "since" steady while it lasts, and see the replica healthy again
// after restore. etcdctl checks the etcd side independently. Prod ends 3/3 healthy (later files use it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { twinVmNamespace } from '../support/twin-etcdctl';
import type { FailureClass } from '@/lib/core/failure';
import type { ClusterView } from '@/lib/core/view';
import { createContainer } from '@/lib/server/container';
import { parseEnv } from '@/lib/server/env';
import { observeClusterView } from '@/lib/server/services/observe-fleet';
import { applyChaos, readChaosState, type ChaosCommand } from '@/lib/server/services/sandbox-chaos';
import {
  allHealthy,
  etcdctlEndpointStatus,
  expectConsistent,
  pollUntil,
  PROD,
  replicaVms,
  sandboxPort,
  testContainer,
  writeEtcdctlCerts,
} from './support';

// The audit entries of the chaos controls go to a temporary store.
const dir = mkdtempSync(path.join(tmpdir(), 'quorum-chaos-'));
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '800', QUORUM_DATA_DIR: dir });
afterAll(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const view = () => observeClusterView(PROD, c);
const primaryOf = (v: ClusterView, name: string) => v.assessment.diagnosis.replicas[name]?.primary ?? null;
const healthyView = (v: ClusterView) =>
  allHealthy(v.topology) && Object.values(v.assessment.diagnosis.replicas).every((d) => d.primary === null);

async function act(command: ChaosCommand): Promise<void> {
  const result = await applyChaos(PROD, command, c);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
}

/**
 * A follower of etcd main (and its zone): killing or freezing it does not start an election in main. The zone
 * outage takes the leader's zone instead, so the election it causes is part of what is tested.
 */
async function follower(role: 'follower' | 'leader' = 'follower'): Promise<{ name: string; zone: string; ip: string }> {
  const v = await pollUntil(view, healthyView, 60_000);
  expect(healthyView(v), 'prod healthy before the chaos').toBe(true);
  const r = v.topology.replicas.find(
    (x) => x.etcd.main.ok && (x.etcd.main.memberId === x.etcd.main.leaderId) === (role === 'leader'),
  );
  if (!r?.internalIp) throw new Error(`no prod ${role}`);
  return { name: r.name, zone: r.zone, ip: r.internalIp };
}

/** Polls until the replica's primary class is `expected`; returns that view. */
async function classified(name: string, expected: FailureClass): Promise<ClusterView> {
  const v = await pollUntil(view, (x) => primaryOf(x, name) === expected, 20_000);
  expect(primaryOf(v, name), `${name} classified`).toBe(expected);
  return v;
}

/**
 * Polls until the replica is classified etcd-unreachable with a refusal for each of `clusters`: the first call after a
 * kill can still meet the dying connection ("Connection dropped") before the port refuses.
 */
async function refusedOn(name: string, clusters: readonly string[]): Promise<ClusterView> {
  const refused = (x: ClusterView) =>
    primaryOf(x, name) === 'etcd-unreachable' &&
    clusters.every((cl) =>
      evidenceOf(x, name).some(
        (e) => e.startsWith(`etcd-unreachable | etcd ${cl} |`) && e.includes('connection refused'),
      ),
    );
  const v = await pollUntil(view, refused, 20_000);
  expect(primaryOf(v, name), `${name} classified`).toBe('etcd-unreachable');
  return v;
}

/** After restore: healthy again, nothing classified, and "since" forgotten. */
async function expectRecovered(name: string): Promise<void> {
  const v = await pollUntil(view, healthyView, 60_000);
  expect(healthyView(v), `${name} healthy again`).toBe(true);
  expect(v.failureSince[name]).toBeUndefined();
}

const evidenceOf = (v: ClusterView, name: string) =>
  (v.assessment.diagnosis.replicas[name]?.failures ?? []).map((f) => `${f.class} | ${f.source} | ${f.detail}`);

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  // A failed assertion must not leave prod broken for the next test (or file).
  if (cleanup) await cleanup().catch(() => undefined);
  cleanup = null;
});

describe('chaos controls, seen by the dashboard', () => {
  it('stop VM -> "VM stopped" (Compute is the evidence); restore starts it and it is healthy again', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'stop-vm' } });
    const seen = await classified(v.name, 'vm-stopped');
    expect(evidenceOf(seen, v.name)[0]).toMatch(/^vm-stopped \| Compute \| instance status (STOPPING|TERMINATED)$/);
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('kill etcd main -> "etcd unreachable" (connection refused), the API server not ready; etcdctl cannot reach it either; restore', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'kill-etcd', etcd: 'main' } });
    const first = await refusedOn(v.name, ['main']);
    expect(evidenceOf(first, v.name)).toEqual(
      expect.arrayContaining([
        `etcd-unreachable | etcd main | ${v.name}:2379: connection refused (nothing accepts on 127.0.0.1:2379 of the replica (SSH: connect failed))`,
        expect.stringMatching(/^apiserver-not-ready \| API server \| /),
      ]),
    );
    expect(evidenceOf(first, v.name).some((e) => e.includes('etcd events'))).toBe(false);
    // "since" is the first observation that saw it, and stays while the failure lasts.
    const since = first.failureSince[v.name]?.['etcd-unreachable'];
    expect(since).toBeDefined();
    expect((await view()).failureSince[v.name]?.['etcd-unreachable']).toBe(since);
    const [vm] = (await replicaVms(c, PROD)).filter((r) => r.name === v.name);
    const certs = writeEtcdctlCerts(vm?.metadata ?? {});
    try {
      await expect(etcdctlEndpointStatus(certs, [{ instance: v.name, cluster: 'main' }])).rejects.toThrow();
      expect(await etcdctlEndpointStatus(certs, [{ instance: v.name, cluster: 'events' }])).toHaveLength(1);
    } finally {
      certs.cleanup();
    }
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('kill etcd events -> "etcd unreachable" on events only, the API server stays ready; restore', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'kill-etcd', etcd: 'events' } });
    const seen = await refusedOn(v.name, ['events']);
    expect(evidenceOf(seen, v.name)).toEqual([
      `etcd-unreachable | etcd events | ${v.name}:4002: connection refused (nothing accepts on 127.0.0.1:4002 of the replica (SSH: connect failed))`,
    ]);
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('kill both -> both refused; restore', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'kill-etcd', etcd: 'both' } });
    const seen = await refusedOn(v.name, ['main', 'events']);
    expect(evidenceOf(seen, v.name).filter((e) => e.startsWith('etcd-unreachable'))).toEqual([
      `etcd-unreachable | etcd main | ${v.name}:2379: connection refused (nothing accepts on 127.0.0.1:2379 of the replica (SSH: connect failed))`,
      `etcd-unreachable | etcd events | ${v.name}:4002: connection refused (nothing accepts on 127.0.0.1:4002 of the replica (SSH: connect failed))`,
    ]);
    const state = await readChaosState(c);
    expect(state.ok && state.data.instances.find((i) => i.name === v.name)?.etcd).toEqual({
      main: 'killed',
      events: 'killed',
    });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('freeze -> "etcd frozen" (time-outs, not refusals), not a zone outage while the zone\'s nodes are Ready; unfreeze', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'unfreeze' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'freeze' } });
    const seen = await classified(v.name, 'etcd-frozen');
    // The deadline follows measured latency (at least QUORUM_PROBE_TIMEOUT_MS, more on a loaded machine).
    expect(evidenceOf(seen, v.name)).toEqual([
      expect.stringMatching(
        new RegExp(`^etcd-frozen \\| etcd main \\| ${v.name}:2379: timeout: no answer within \\d+ ms$`),
      ),
      expect.stringMatching(
        new RegExp(`^etcd-frozen \\| etcd events \\| ${v.name}:4002: timeout: no answer within \\d+ ms$`),
      ),
      expect.stringMatching(/^apiserver-not-ready \| API server \| timeout: /),
    ]);
    expect(seen.topology.replicas.find((r) => r.name === v.name)?.vmStatus).toBe('RUNNING');
    expect(seen.assessment.diagnosis.zonesUnreachable).toEqual([]);
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'unfreeze' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('zone down (the etcd main leader\'s) -> "zone unreachable" (Compute still says RUNNING, the zone\'s nodes NotReady), the cluster can lose 0 more; zone up', async () => {
    const v = await follower('leader');
    cleanup = () => act({ scope: 'zone', zone: v.zone, down: false });
    await act({ scope: 'zone', zone: v.zone, down: true });
    const seen = await classified(v.name, 'zone-unreachable');
    expect(seen.topology.replicas.find((r) => r.name === v.name)?.vmStatus).toBe('RUNNING');
    expect(seen.assessment.diagnosis.zonesUnreachable).toEqual([
      expect.objectContaining({ zone: v.zone, replicas: [v.name], nodes: { total: 2, notReady: 2 } }),
    ]);
    expect(seen.assessment.findings.find((f) => f.code === 'ZoneUnreachable')?.subject).toBe(v.zone);
    expect(seen.assessment.canLoseReplicas).toBe(0);
    expect(seen.failureSince[`zone:${v.zone}`]?.['zone-unreachable']).toBeDefined();
    // A real partition: the zone's processes keep running (nothing frozen or killed), only its links are cut.
    const state = await readChaosState(c);
    expect(state.ok && state.data.instances.find((i) => i.name === v.name)).toMatchObject({
      zoneDown: true,
      frozen: false,
      etcd: { main: 'running', events: 'running' },
    });
    // Restoring one replica of a zone that is down is refused in words.
    const refused = await applyChaos(
      PROD,
      { scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } },
      c,
    );
    expect(refused).toMatchObject({ ok: false, code: 'InvalidInput' });
    expect(refused.ok ? '' : refused.message).toContain(`Zone ${v.zone} is down`);
    await act({ scope: 'zone', zone: v.zone, down: false });
    await expectRecovered(v.name);
  }, 120_000);

  it("refuses what is not this cluster's, and everything on Compute Engine", async () => {
    expect(await applyChaos(PROD, { scope: 'zone', zone: 'us-central1-b', down: true }, c)).toMatchObject({
      ok: false,
      code: 'ZoneOutsideRegion',
    });
    expect(
      await applyChaos(
        PROD,
        { scope: 'replica', name: 'staging-master', zone: 'europe-west1-b', action: { kind: 'freeze' } },
        c,
      ),
    ).toMatchObject({ ok: false, code: 'NotFound' });
    const gce = createContainer(
      parseEnv({
        QUORUM_PROVIDER: 'gce',
        QUORUM_PROJECTS: 'sandbox-project',
        SANDBOX_PORT: String(sandboxPort()),
        QUORUM_DATA_DIR: path.join(dir, 'gce'),
      }),
    );
    try {
      expect(gce.chaos).toBeNull();
      const [victim] = await replicaVms(c, PROD);
      const refused = await applyChaos(
        PROD,
        {
          scope: 'replica',
          name: victim?.name ?? '',
          zone: victim?.zone ?? '',
          action: { kind: 'kill-etcd', etcd: 'main' },
        },
        gce,
      );
      expect(refused).toMatchObject({ ok: false, code: 'Unsupported' });
      expect(await readChaosState(gce)).toMatchObject({ ok: false, code: 'Unsupported' });
    } finally {
      await gce.close();
    }
    // Nothing happened to prod, and every attempt is in the audit log, refusals with their reason.
    expect(healthyView(await view())).toBe(true);
    expect(await c.store.listAudit({ action: 'chaos.zone-down' })).toContainEqual(
      expect.objectContaining({
        outcome: 'refused',
        detail: expect.objectContaining({ zone: 'us-central1-b', code: 'ZoneOutsideRegion' }),
      }),
    );
    expect(await c.store.listAudit({ action: 'chaos.freeze' })).toContainEqual(
      expect.objectContaining({ outcome: 'refused', detail: expect.objectContaining({ code: 'NotFound' }) }),
    );
    expect(await c.store.listAudit({ action: 'chaos.freeze' })).toContainEqual(
      expect.objectContaining({ outcome: 'succeeded', actor: 'local-operator' }),
    );
  }, 60_000);

  it('prod ends whole: three healthy voters, and etcdctl agrees on the membership', async () => {
    const v = await pollUntil(view, healthyView, 60_000);
    expect(v.assessment.healthyReplicas).toBe(3);
    expect(v.assessment.etcd.main).toMatchObject({ voters: 3, healthyVoters: 3 });
    expect(await expectConsistent(c, PROD, null)).toHaveLength(3);
    const state = await readChaosState(c);
    expect(state.ok && state.data.zonesDown).toEqual([]);
  }, 90_000);
});

// The twin's network faults, driven over the sandbox's own HTTP controls (no dashboard involved): what the
// state answers, what they refuse, that each one really changes who reaches whom, and that each is undone.
const instanceState = z.object({
  name: z.string(),
  zone: z.string(),
  status: z.string(),
  frozen: z.boolean(),
  sshd: z.boolean(),
  zoneDown: z.boolean(),
  etcd: z.object({ main: z.string(), events: z.string() }),
});
const chaosState = z.object({
  zonesDown: z.array(z.string()),
  partitions: z.array(z.tuple([z.string(), z.string()])),
  dashboardCut: z.array(z.string()),
  instances: z.array(instanceState),
});
const errorBody = z.object({
  error: z.object({ code: z.number(), errors: z.array(z.object({ reason: z.string() })) }),
});

async function chaosHttp(method: 'GET' | 'POST', tail: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${sandboxPort()}/sandbox/v1/chaos${tail}`, {
    method,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}
async function chaosOk(method: 'GET' | 'POST', tail: string) {
  const answer = await chaosHttp(method, tail);
  expect(answer.status, `${method} ${tail}: ${JSON.stringify(answer.body)}`).toBe(200);
  return chaosState.parse('instances' in (answer.body as object) ? answer.body : (await chaosHttp('GET', '')).body);
}
async function chaosRefused(tail: string, status: number, reason: string) {
  const answer = await chaosHttp('POST', tail);
  expect(answer.status, tail).toBe(status);
  expect(errorBody.parse(answer.body).error.errors[0]?.reason, tail).toBe(reason);
}
const pair = (p: readonly string[]) => [...p].sort().join('|');

/** How a TCP connect from this host (the dashboard's machine) ends: 'connected', 'ECONNREFUSED', 'ETIMEDOUT', ... */
function connectFromHost(ip: string, port: number, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = (r: string) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** The same from inside VM `from` (its own network namespace): bash's /dev/tcp, bounded by `timeout`. */
function connectFromVm(from: string, ip: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      [
        'netns',
        'exec',
        twinVmNamespace(inject('sandboxNet'), from),
        'timeout',
        '2',
        'bash',
        '-c',
        `exec 3<>/dev/tcp/${ip}/${port}`,
      ],
      (err) => {
        if (!err) resolve('connected');
        else resolve(err.code === 124 ? 'ETIMEDOUT' : 'ECONNREFUSED');
      },
    );
  });
}

describe('network chaos of the twin, over the sandbox HTTP controls', () => {
  /** One RUNNING prod replica per zone, with its internal IP, as Compute lists them. */
  async function replicasByZone() {
    const vms = (await replicaVms(c, PROD)).filter((r) => r.status === 'RUNNING' && r.internalIp);
    const [a, b, d] = [...vms].sort((x, y) => x.zone.localeCompare(y.zone));
    if (!a || !b || !d || new Set([a.zone, b.zone, d.zone]).size !== 3)
      throw new Error('prod has no replica in three zones');
    return {
      a: { name: a.name, zone: a.zone, ip: a.internalIp ?? '' },
      b: { name: b.name, zone: b.zone, ip: b.internalIp ?? '' },
      d: { name: d.name, zone: d.zone, ip: d.internalIp ?? '' },
    };
  }

  it('partition A|B: the state lists it, A and B no longer reach each other (lost, not refused), both still reach C and the dashboard; heal undoes it', async () => {
    const { a, b, d } = await replicasByZone();
    cleanup = () => chaosOk('POST', `/zones/${a.zone}/heal/${b.zone}`).then(() => undefined);
    const on = await chaosOk('POST', `/zones/${a.zone}/partition/${b.zone}`);
    expect(on.partitions.map(pair)).toEqual([pair([a.zone, b.zone])]);
    expect(on.zonesDown).toEqual([]);
    expect(await connectFromVm(a.name, b.ip, 2380)).toBe('ETIMEDOUT');
    expect(await connectFromVm(b.name, a.ip, 2380)).toBe('ETIMEDOUT');
    expect(await connectFromVm(a.name, d.ip, 2380)).toBe('connected');
    expect(await connectFromVm(b.name, d.ip, 2380)).toBe('connected');
    expect(await connectFromHost(a.ip, 22)).toBe('connected');
    expect(await connectFromHost(b.ip, 22)).toBe('connected');
    const off = await chaosOk('POST', `/zones/${b.zone}/heal/${a.zone}`);
    cleanup = null;
    expect(off.partitions).toEqual([]);
    expect(await connectFromVm(a.name, b.ip, 2380)).toBe('connected');
  }, 60_000);

  it('cut the dashboard off a zone: the host cannot reach its VMs (time-outs), the zones still reach each other; reconnect undoes it', async () => {
    const { a, b } = await replicasByZone();
    cleanup = () => chaosOk('POST', `/zones/${a.zone}/reconnect-dashboard`).then(() => undefined);
    const on = await chaosOk('POST', `/zones/${a.zone}/cut-dashboard`);
    expect(on.dashboardCut).toEqual([a.zone]);
    expect(on.instances.find((i) => i.name === a.name)).toMatchObject({
      frozen: false,
      sshd: true,
      etcd: { main: 'running', events: 'running' },
    });
    expect(await connectFromHost(a.ip, 22)).toBe('ETIMEDOUT');
    expect(await connectFromHost(b.ip, 22)).toBe('connected');
    expect(await connectFromVm(b.name, a.ip, 2380)).toBe('connected');
    expect(await connectFromVm(a.name, b.ip, 2380)).toBe('connected');
    const off = await chaosOk('POST', `/zones/${a.zone}/reconnect-dashboard`);
    cleanup = null;
    expect(off.dashboardCut).toEqual([]);
    expect(await connectFromHost(a.ip, 22)).toBe('connected');
  }, 60_000);

  it('zone down cuts every link of the zone while its processes keep running; zone up restores them', async () => {
    const { a, b } = await replicasByZone();
    cleanup = () => chaosOk('POST', `/zones/${a.zone}/up`).then(() => undefined);
    const down = await chaosOk('POST', `/zones/${a.zone}/down`);
    expect(down.zonesDown).toEqual([a.zone]);
    expect(down.instances.find((i) => i.name === a.name)).toMatchObject({
      status: 'RUNNING',
      zoneDown: true,
      frozen: false,
      sshd: true,
      etcd: { main: 'running', events: 'running' },
    });
    expect(await connectFromHost(a.ip, 22)).toBe('ETIMEDOUT');
    expect(await connectFromVm(b.name, a.ip, 2380)).toBe('ETIMEDOUT');
    const up = await chaosOk('POST', `/zones/${a.zone}/up`);
    cleanup = null;
    expect(up.zonesDown).toEqual([]);
    expect(await connectFromHost(a.ip, 22)).toBe('connected');
    expect(await connectFromVm(b.name, a.ip, 2380)).toBe('connected');
  }, 60_000);

  it('stop-sshd: port 22 refuses while etcd keeps running; start-sshd (and restore) bring it back', async () => {
    const { a } = await replicasByZone();
    const path = (action: string) => `/projects/${PROD.project}/zones/${a.zone}/instances/${a.name}/${action}`;
    cleanup = () => chaosOk('POST', path('start-sshd')).then(() => undefined);
    const stopped = await chaosOk('POST', path('stop-sshd'));
    expect(stopped.instances.find((i) => i.name === a.name) ?? stopped.instances[0]).toMatchObject({
      name: a.name,
      sshd: false,
      etcd: { main: 'running', events: 'running' },
    });
    expect((await chaosOk('GET', '')).instances.find((i) => i.name === a.name)?.sshd).toBe(false);
    expect(await connectFromHost(a.ip, 22)).toBe('ECONNREFUSED');
    // etcd is untouched: asked inside the VM, it answers.
    expect(await connectFromVm(a.name, '127.0.0.1', 4002)).toBe('connected');
    const started = await chaosOk('POST', path('start-sshd'));
    expect(started.instances.find((i) => i.name === a.name)?.sshd).toBe(true);
    expect(
      await pollUntil(
        () => connectFromHost(a.ip, 22),
        (r) => r === 'connected',
        10_000,
      ),
    ).toBe('connected');
    // restore starts a stopped sshd too.
    await chaosOk('POST', path('stop-sshd'));
    const restored = await chaosOk('POST', path('restore'));
    cleanup = null;
    expect(restored.instances.find((i) => i.name === a.name)?.sshd).toBe(true);
    expect(
      await pollUntil(
        () => connectFromHost(a.ip, 22),
        (r) => r === 'connected',
        10_000,
      ),
    ).toBe('connected');
  }, 60_000);

  it('refuses unknown zones, a partition of a zone with itself, unknown actions and instances, and changes nothing', async () => {
    const { a } = await replicasByZone();
    const before = await chaosOk('GET', '');
    await chaosRefused(`/zones/nowhere-1/partition/${a.zone}`, 400, 'invalid');
    await chaosRefused(`/zones/${a.zone}/partition/nowhere-1`, 400, 'invalid');
    await chaosRefused(`/zones/${a.zone}/partition/${a.zone}`, 400, 'invalid');
    await chaosRefused(`/zones/nowhere-1/heal/${a.zone}`, 400, 'invalid');
    await chaosRefused('/zones/nowhere-1/cut-dashboard', 400, 'invalid');
    await chaosRefused('/zones/nowhere-1/reconnect-dashboard', 400, 'invalid');
    await chaosRefused('/zones/nowhere-1/down', 400, 'invalid');
    await chaosRefused(`/zones/${a.zone}/sever`, 404, 'notFound');
    await chaosRefused(`/projects/${PROD.project}/zones/${a.zone}/instances/no-such-master/stop-sshd`, 404, 'notFound');
    const after = await chaosOk('GET', '');
    expect({ ...after, instances: after.instances.map((i) => [i.name, i.sshd, i.frozen, i.zoneDown]) }).toEqual({
      ...before,
      instances: before.instances.map((i) => [i.name, i.sshd, i.frozen, i.zoneDown]),
    });
    expect(after).toMatchObject({ zonesDown: [], partitions: [], dashboardCut: [] });
  }, 60_000);
});
