// Each chaos control of the sandbox, applied through the dashboard's own path (the chaos service and its
// HTTP adapter), then the dashboard's observation: it must classify the failure as the class the control
// stands for, with the evidence, keep "since" steady while it lasts, and see the replica healthy again
// after restore. etcdctl checks the etcd side independently. Prod ends 3/3 healthy (later files use it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FailureClass } from '@/lib/core/failure';
import type { ClusterView } from '@/lib/core/view';
import { createContainer } from '@/lib/server/container';
import { parseEnv } from '@/lib/server/env';
import { observeClusterView } from '@/lib/server/services/observe-fleet';
import { applyChaos, readChaosState, type ChaosCommand } from '@/lib/server/services/sandbox-chaos';
import { allHealthy, etcdctlEndpointStatus, expectConsistent, pollUntil, PROD, replicaVms, sandboxPort, testContainer, writeEtcdctlCerts } from './support';

// The audit entries of the chaos controls go to a temporary store.
const dir = mkdtempSync(path.join(tmpdir(), 'quorum-chaos-'));
const c = testContainer({ QUORUM_PROBE_TIMEOUT_MS: '800', QUORUM_DATA_DIR: dir });
afterAll(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const view = () => observeClusterView(PROD, c);
const primaryOf = (v: ClusterView, name: string) => v.assessment.diagnosis.replicas[name]?.primary ?? null;
const healthyView = (v: ClusterView) => allHealthy(v.topology) && Object.values(v.assessment.diagnosis.replicas).every((d) => d.primary === null);

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
  const r = v.topology.replicas.find((x) => x.etcd.main.ok && (x.etcd.main.memberId === x.etcd.main.leaderId) === (role === 'leader'));
  if (!r?.internalIp) throw new Error(`no prod ${role}`);
  return { name: r.name, zone: r.zone, ip: r.internalIp };
}

/** Polls until the replica's primary class is `expected`; returns that view. */
async function classified(name: string, expected: FailureClass): Promise<ClusterView> {
  const v = await pollUntil(view, (x) => primaryOf(x, name) === expected, 20_000);
  expect(primaryOf(v, name), `${name} classified`).toBe(expected);
  return v;
}

/** After restore: healthy again, nothing classified, and "since" forgotten. */
async function expectRecovered(name: string): Promise<void> {
  const v = await pollUntil(view, healthyView, 60_000);
  expect(healthyView(v), `${name} healthy again`).toBe(true);
  expect(v.failureSince[name]).toBeUndefined();
}

const evidenceOf = (v: ClusterView, name: string) => (v.assessment.diagnosis.replicas[name]?.failures ?? []).map((f) => `${f.class} | ${f.source} | ${f.detail}`);

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
    const first = await classified(v.name, 'etcd-unreachable');
    expect(evidenceOf(first, v.name)).toEqual(
      expect.arrayContaining([`etcd-unreachable | etcd main | ${v.ip}:2379: connection refused`, expect.stringMatching(/^apiserver-not-ready \| API server \| /)]),
    );
    expect(evidenceOf(first, v.name).some((e) => e.includes('etcd events'))).toBe(false);
    // "since" is the first observation that saw it, and stays while the failure lasts.
    const since = first.failureSince[v.name]?.['etcd-unreachable'];
    expect(since).toBeDefined();
    expect((await view()).failureSince[v.name]?.['etcd-unreachable']).toBe(since);
    const [vm] = (await replicaVms(c, PROD)).filter((r) => r.name === v.name);
    const certs = writeEtcdctlCerts(vm?.metadata ?? {});
    try {
      await expect(etcdctlEndpointStatus(certs, [c.endpoints.etcd({ name: v.name, internalIp: v.ip }, 'main')])).rejects.toThrow();
      expect(await etcdctlEndpointStatus(certs, [c.endpoints.etcd({ name: v.name, internalIp: v.ip }, 'events')])).toHaveLength(1);
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
    const seen = await classified(v.name, 'etcd-unreachable');
    expect(evidenceOf(seen, v.name)).toEqual([`etcd-unreachable | etcd events | ${v.ip}:4002: connection refused`]);
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('kill both -> both refused; restore', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'kill-etcd', etcd: 'both' } });
    const seen = await classified(v.name, 'etcd-unreachable');
    expect(evidenceOf(seen, v.name).filter((e) => e.startsWith('etcd-unreachable'))).toEqual([
      `etcd-unreachable | etcd main | ${v.ip}:2379: connection refused`,
      `etcd-unreachable | etcd events | ${v.ip}:4002: connection refused`,
    ]);
    const state = await readChaosState(c);
    expect(state.ok && state.data.instances.find((i) => i.name === v.name)?.etcd).toEqual({ main: 'killed', events: 'killed' });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } });
    await expectRecovered(v.name);
  }, 120_000);

  it('freeze -> "etcd frozen" (time-outs, not refusals), not a zone outage while the zone\'s nodes are Ready; unfreeze', async () => {
    const v = await follower();
    cleanup = () => act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'unfreeze' } });
    await act({ scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'freeze' } });
    const seen = await classified(v.name, 'etcd-frozen');
    expect(evidenceOf(seen, v.name)).toEqual([
      `etcd-frozen | etcd main | ${v.ip}:2379: timeout: no answer within 800 ms`,
      `etcd-frozen | etcd events | ${v.ip}:4002: timeout: no answer within 800 ms`,
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
    // Restoring one replica of a zone that is down is refused in words.
    const refused = await applyChaos(PROD, { scope: 'replica', name: v.name, zone: v.zone, action: { kind: 'restore' } }, c);
    expect(refused).toMatchObject({ ok: false, code: 'InvalidInput' });
    expect(refused.ok ? '' : refused.message).toContain(`Zone ${v.zone} is down`);
    await act({ scope: 'zone', zone: v.zone, down: false });
    await expectRecovered(v.name);
  }, 120_000);

  it('refuses what is not this cluster\'s, and everything on Compute Engine', async () => {
    expect(await applyChaos(PROD, { scope: 'zone', zone: 'us-central1-b', down: true }, c)).toMatchObject({ ok: false, code: 'ZoneOutsideRegion' });
    expect(await applyChaos(PROD, { scope: 'replica', name: 'staging-master', zone: 'europe-west1-b', action: { kind: 'freeze' } }, c)).toMatchObject({ ok: false, code: 'NotFound' });
    const gce = createContainer(parseEnv({ QUORUM_PROVIDER: 'gce', QUORUM_PROJECTS: 'sandbox-project', SANDBOX_PORT: String(sandboxPort()), QUORUM_DATA_DIR: path.join(dir, 'gce') }));
    try {
      expect(gce.chaos).toBeNull();
      const [victim] = await replicaVms(c, PROD);
      const refused = await applyChaos(PROD, { scope: 'replica', name: victim?.name ?? '', zone: victim?.zone ?? '', action: { kind: 'kill-etcd', etcd: 'main' } }, gce);
      expect(refused).toMatchObject({ ok: false, code: 'Unsupported' });
      expect(await readChaosState(gce)).toMatchObject({ ok: false, code: 'Unsupported' });
    } finally {
      await gce.close();
    }
    // Nothing happened to prod, and every attempt is in the audit log, refusals with their reason.
    expect(healthyView(await view())).toBe(true);
    expect(await c.store.listAudit({ action: 'chaos.zone-down' })).toContainEqual(
      expect.objectContaining({ outcome: 'refused', detail: expect.objectContaining({ zone: 'us-central1-b', code: 'ZoneOutsideRegion' }) }),
    );
    expect(await c.store.listAudit({ action: 'chaos.freeze' })).toContainEqual(expect.objectContaining({ outcome: 'refused', detail: expect.objectContaining({ code: 'NotFound' }) }));
    expect(await c.store.listAudit({ action: 'chaos.freeze' })).toContainEqual(expect.objectContaining({ outcome: 'succeeded', actor: 'local-operator' }));
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
