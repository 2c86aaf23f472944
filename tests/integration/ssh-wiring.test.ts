// Quorum reaches the twin's masters only over SSH (issue 10 item 6): a service refusing behind a working sshd is
// down (a real failure), while Quorum's own access problem (here a host key that differs from the pin) reads as
// "unknown: no access", with a NoAccess finding, no recovery offered and no quorum loss.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { observeCluster } from '@/lib/server/services/observe-cluster';
import { allHealthy, pollUntil, PROD, testContainer } from './support';

const c = testContainer();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cut-adhoc-'));
const other = testContainer({ QUORUM_DATA_DIR: dir });
afterAll(async () => {
  await c.close();
  await other.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SSH wiring on the twin', () => {
  it('etcd main killed behind a working sshd reads as etcd down (refused), not no access', async () => {
    const before = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
    const victim = before.replicas.find((r) => r.etcd.main.ok && r.etcd.main.memberId !== r.etcd.main.leaderId);
    if (!victim || !c.chaos) throw new Error('no follower');
    await c.chaos.actOnReplica(
      { project: PROD.project, zone: victim.zone, name: victim.name },
      { kind: 'kill-etcd', etcd: 'main' },
    );
    try {
      const t = await pollUntil(
        () => observeCluster(PROD, c),
        (x) => x.replicas.find((r) => r.name === victim.name)?.etcd.main.ok === false,
        20_000,
      );
      const r = t.replicas.find((x) => x.name === victim.name);
      expect(r?.etcd.main.ok).toBe(false);
      if (r && !r.etcd.main.ok) expect(r.etcd.main.error).not.toMatch(/^noaccess:/);
      const a = assessTopology(t, new Date());
      expect(a.replicaHealth[victim.name]).toBe('unhealthy');
      expect(a.findings.some((f) => f.code === 'ReplicaUnhealthy' && f.subject === victim.name)).toBe(true);
    } finally {
      await c.chaos.actOnReplica({ project: PROD.project, zone: victim.zone, name: victim.name }, { kind: 'restore' });
    }
    await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
  }, 90_000);

  it('a host key that differs from the pin reads as unknown: no access, with a NoAccess finding and no recovery', async () => {
    const t0 = await pollUntil(() => observeCluster(PROD, c), allHealthy, 30_000);
    const victim = t0.replicas[1];
    if (!victim) throw new Error('no replica');
    const inst = await other.compute.getInstance(PROD.project, victim.zone, victim.name);
    if (!inst) throw new Error('no instance');
    // Another container (its own store) that pinned some other ed25519 key for this instance id.
    const { publicKey } = generateKeyPairSync('ed25519');
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const raw = der.subarray(der.length - 32);
    const type = Buffer.from('ssh-ed25519');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), raw]);
    await other.store.pinHostKeyOnce({
      instanceId: inst.id,
      instance: `${PROD.project}/${victim.zone}/${victim.name}`,
      keyType: 'ssh-ed25519',
      key: blob.toString('base64'),
      fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
      source: 'first-use',
    });
    // The other replicas as this container first sees them (its own SSH connections, on a busy machine possibly
    // slow at first): the victim's reading is checked on an observation where they all answer.
    const t = await pollUntil(
      () => observeCluster(PROD, other),
      (x) => x.replicas.every((o) => o.name === victim.name || (o.etcd.main.ok && o.apiServer.ready === true)),
      30_000,
    );
    const r = t.replicas.find((x) => x.name === victim.name);
    expect(r?.etcd.main).toMatchObject({ ok: false, error: expect.stringMatching(/^noaccess: \[HostKeyChanged\] /) });
    expect(r?.apiServer).toMatchObject({ ready: null, error: expect.stringMatching(/^noaccess: /) });
    const a = assessTopology(t, new Date());
    expect(a.replicaHealth[victim.name]).toBe('unknown');
    const f = a.findings.find((x) => x.code === 'NoAccess' && x.subject === victim.name);
    expect(f?.severity).toBe('warning');
    // Both fingerprints are named, and an admin is offered to trust the key presented (never a recovery).
    expect(f?.fix).toContain('an admin trusts the new host key here');
    expect(f?.hostKey).toMatchObject({
      replica: victim.name,
      zone: victim.zone,
      pinnedFingerprint: expect.stringMatching(/^SHA256:/),
      presentedFingerprint: expect.stringMatching(/^SHA256:/),
    });
    expect(f?.message).toContain(
      `from ${f?.hostKey?.pinnedFingerprint ?? '?'} (pinned) to ${f?.hostKey?.presentedFingerprint ?? '?'}`,
    );
    expect(f?.action).toBeUndefined();
    // Named with their messages, so a failure says which replica and why.
    expect(
      a.findings.filter((x) => x.code === 'ReplicaUnhealthy' || x.code === 'QuorumLost').map((x) => x.message),
    ).toEqual([]);
    for (const o of t.replicas.filter((x) => x.name !== victim.name))
      expect(o.etcd.main, `${o.name}'s etcd main`).toMatchObject({ ok: true });
  }, 60_000);
});
