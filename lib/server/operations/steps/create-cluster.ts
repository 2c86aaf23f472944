import 'server-only';
import {
  type LogLine,
  logLine,
  logLineWithItems,
  progressSaid,
  SaidError,
  secondsText,
} from '@/lib/core/operation-log';
// The steps that create a cluster with one master, after kube-up's kube-up.sh (create-firewall-rules,
// reserve the master IP, create-certs, create the master disk and instance) but through the Compute API.
// Each observes before it acts, so running one again after it succeeded, or after a crash between its
// effect and the journal's "done", changes nothing.
//
// Where the new cluster's private keys live between 'issue-cluster-certificates' and 'create-instance':
// in the store's operation_secrets table (Store.putOperationSecretOnce), keyed by the operation, on the
// server only. Not in the step's detail: the journal feeds the operation page. They cannot be made again
// from nothing either: the instance step must use the very certificates the certificates step issued
// (a crash between them must not give the master a second CA). Once the instance exists its metadata holds
// them, as kube-up leaves them, and the table's copy is deleted; a create that fails after the certificates
// step deletes it in its rollback. A cancelled create leaves it until the operation is run again or removed.
import type { FirewallInfo, FirewallSpec } from '@/lib/ports/compute';
import {
  clusterSecretsSchema,
  describeClusterCas,
  firstMasterMetadata,
  issueClusterSecrets,
  type ClusterSecrets,
} from '@/lib/pki/first-master';
import type { Container } from '@/lib/server/container';
import type { StepCompensation, StepContext, StepExecutor } from '@/lib/server/operations/runner';
import {
  CLUSTERS,
  clusterRefOf,
  ETCD_CALL_MS,
  ignoreAlreadyExists,
  loadCluster,
  newReplicaOf,
  pause,
  replicaAddress,
  stringParam,
  throwIfAborted,
} from './cluster-context';

/** The operation secret holding the new cluster's certificates and keys (JSON of ClusterSecrets). */
export const CLUSTER_SECRETS_KEY = 'cluster-pki';
/** kube-up's MASTER_DISK_SIZE and MASTER_DISK_TYPE defaults. */
const MASTER_DISK_GB = 20;
/** kube-up's MASTER_SIZE default for a small cluster. */
const MACHINE_TYPE = 'n1-standard-1';
const ETCD_TIMEOUT_MS = 3 * 60_000;

// --- firewall rules ---------------------------------------------------------------------------------------

/** kube-up's two master rules: etcd peer ports between masters, and 443 to masters from anywhere. */
export function masterFirewallRules(masterName: string): FirewallSpec[] {
  return [
    {
      name: `${masterName}-etcd`,
      sourceRanges: [],
      sourceTags: [masterName],
      targetTags: [masterName],
      allowed: [{ protocol: 'tcp', ports: ['2380', '2381'] }],
    },
    {
      name: `${masterName}-https`,
      sourceRanges: ['0.0.0.0/0'],
      sourceTags: [],
      targetTags: [masterName],
      allowed: [{ protocol: 'tcp', ports: ['443'] }],
    },
  ];
}

const sorted = (xs: readonly string[]) => [...xs].sort();
const allowedKey = (a: ReadonlyArray<{ protocol: string; ports: string[] }>) =>
  a
    .map((r) => `${r.protocol.toLowerCase()}:${sorted(r.ports).join(',')}`)
    .sort()
    .join(' ');

/** How an existing rule differs from the one a create would make, in words; null when it does the same. */
export function firewallMismatch(want: FirewallSpec, have: FirewallInfo): string | null {
  const diffs: string[] = [];
  const compare = (what: string, w: readonly string[], h: readonly string[]) => {
    if (sorted(w).join(',') !== sorted(h).join(','))
      diffs.push(`${what} [${sorted(h).join(', ')}] instead of [${sorted(w).join(', ')}]`);
  };
  compare('source ranges', want.sourceRanges, have.sourceRanges);
  compare('source tags', want.sourceTags, have.sourceTags);
  compare('target tags', want.targetTags, have.targetTags);
  if (allowedKey(want.allowed) !== allowedKey(have.allowed))
    diffs.push(`allows ${allowedKey(have.allowed) || 'nothing'} instead of ${allowedKey(want.allowed)}`);
  if (have.network !== '' && have.network !== (want.network ?? 'default')) diffs.push(`is on network ${have.network}`);
  return diffs.length === 0
    ? null
    : `firewall rule ${want.name} exists but ${diffs.join('; ')}: delete or fix it, then run the create again`;
}

const createFirewallRules =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const { project, masterName } = clusterRefOf(ctx);
    const rules: Array<{ name: string; created: boolean }> = [];
    for (const want of masterFirewallRules(masterName)) {
      let created = false;
      if (!(await c.compute.getFirewall(project, want.name))) {
        await ignoreAlreadyExists(() => c.compute.insertFirewall(project, want));
        created = true;
      }
      const have = await c.compute.getFirewall(project, want.name);
      if (!have) throw new SaidError(logLine('firewallRuleGone', { name: want.name }));
      const mismatch = firewallMismatch(want, have);
      if (mismatch) throw new Error(mismatch);
      if (created)
        await ctx.log(logLine('firewallRuleCreated', { name: want.name, allowed: allowedKey(want.allowed) }));
      rules.push({ name: want.name, created });
    }
    return { detail: { rules } };
  };

// --- static address -------------------------------------------------------------------------------------

const reserveStaticAddress =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const { project, region, masterName } = clusterRefOf(ctx);
    const name = `${masterName}-ip`;
    let address = await c.compute.getAddress(project, region, name);
    const created = address === null;
    if (!address) {
      await ignoreAlreadyExists(async () => void (await c.compute.insertAddress(project, region, name)));
      address = await c.compute.getAddress(project, region, name);
      if (!address) throw new SaidError(logLine('addressGone', { name }));
      await ctx.log(logLine('addressReserved', { name, ip: address.address }));
    }
    // Reused only when free, or held by this cluster's own first master (a create that got further before).
    const others = address.users.filter((u) => u !== masterName);
    if (others.length > 0)
      throw new SaidError(logLine('addressInUse', { name, ip: address.address, users: others.join(', ') }));
    return { detail: { address: name, ip: address.address, created } };
  };

// --- certificates -----------------------------------------------------------------------------------------

async function storedSecrets(c: Container, ctx: StepContext): Promise<ClusterSecrets | null> {
  const raw = await c.store.operationSecret(ctx.operation.id, CLUSTER_SECRETS_KEY);
  return raw === null ? null : clusterSecretsSchema.parse(JSON.parse(raw));
}

/**
 * Picks the first master's internal IP (its certificates name it) and issues the cluster's CAs, the admin
 * credential and the master's certificates, kept server-side until the instance step. The detail holds
 * only the name, the addresses and the CAs' subjects and fingerprints.
 */
const issueClusterCertificates =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const { project, region, masterName } = clusterRefOf(ctx);
    const zone = stringParam(ctx, 'zone');
    const instance = await c.compute.getInstance(project, zone, masterName);
    if (instance) {
      // The instance step ran: the certificates are in its metadata now, and the stored copy is gone.
      if (!instance.internalIp) throw new SaidError(logLine('noInternalIp', { name: masterName }));
      return {
        detail: {
          name: masterName,
          internalIp: instance.internalIp,
          staticIp: instance.externalIp ?? '',
          issued: false,
          authorities: [],
        },
      };
    }
    let secrets = await storedSecrets(c, ctx);
    if (!secrets) {
      const address = await c.compute.getAddress(project, region, `${masterName}-ip`);
      if (!address) throw new SaidError(logLine('addressNotYet', { name: `${masterName}-ip` }));
      const internalIp = await c.compute.freeInternalIp(project, region);
      const issued = await issueClusterSecrets({ name: masterName, internalIp, staticIp: address.address });
      // The first value stored wins: a concurrent or earlier attempt's certificates are the ones used.
      const kept = await c.store.putOperationSecretOnce(ctx.operation.id, CLUSTER_SECRETS_KEY, JSON.stringify(issued));
      secrets = clusterSecretsSchema.parse(JSON.parse(kept));
      await ctx.log(logLine('certificatesIssued', { master: masterName, ip: secrets.identity.internalIp }));
    }
    const { name, internalIp, staticIp } = secrets.identity;
    return { detail: { name, internalIp, staticIp, issued: true, authorities: await describeClusterCas(secrets) } };
  };

// --- disk and instance -------------------------------------------------------------------------------------

const createDisk =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const { project, masterName } = clusterRefOf(ctx);
    const zone = stringParam(ctx, 'zone');
    const name = `${masterName}-pd`;
    const existing = await c.compute.getDisk(project, zone, name);
    if (existing) {
      const others = existing.users.filter((u) => u !== masterName);
      if (others.length > 0) throw new SaidError(logLine('diskAttached', { name, users: others.join(', ') }));
      return { detail: { disk: name, created: false, sizeGb: existing.sizeGb } };
    }
    await ignoreAlreadyExists(() =>
      c.compute.insertDisk(project, zone, { name, sizeGb: MASTER_DISK_GB, type: 'pd-ssd' }),
    );
    await ctx.log(logLine('diskCreated', { name, sizeGb: String(MASTER_DISK_GB), zone }));
    return { detail: { disk: name, created: true, sizeGb: MASTER_DISK_GB } };
  };

/** The first master: kube-up's metadata with the stored certificates, the static IP as its external address. */
const createInstance =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const { project, region, masterName } = clusterRefOf(ctx);
    const zone = stringParam(ctx, 'zone');
    if (await c.compute.getInstance(project, zone, masterName)) {
      await c.store.deleteOperationSecrets(ctx.operation.id);
      return { detail: { name: masterName, created: false } };
    }
    const secrets = await storedSecrets(c, ctx);
    if (!secrets) throw new SaidError(logLine('certificatesGone', { master: masterName }));
    const { internalIp, staticIp } = secrets.identity;
    const address = await c.compute.getAddress(project, region, `${masterName}-ip`);
    if (address?.address !== staticIp) {
      throw new SaidError(
        logLine('addressMoved', { name: `${masterName}-ip`, ip: address?.address ?? 'none', staticIp }),
      );
    }
    const metadata = firstMasterMetadata(secrets, {
      masterName,
      zone,
      multizone: ctx.step.params.multizone === true,
    });
    const prefix = masterName.endsWith('-master') ? masterName.slice(0, -'-master'.length) : masterName;
    await ignoreAlreadyExists(() =>
      c.compute.insertInstance({
        project,
        zone,
        name: masterName,
        machineType: MACHINE_TYPE,
        networkIP: internalIp,
        tags: [masterName],
        metadata,
        dataDisk: `${masterName}-pd`,
        externalIp: { natIP: staticIp },
        labels: { 'kube-up-cluster': prefix },
      }),
    );
    // The metadata is the certificates' home from now on, as on a kube-up master.
    await c.store.deleteOperationSecrets(ctx.operation.id);
    await ctx.log(logLine('firstMasterCreated', { name: masterName, zone, ip: internalIp, staticIp }));
    return { detail: { name: masterName, created: true } };
  };

// --- waiting ------------------------------------------------------------------------------------------------

/** Waits until etcd main and events answer on the new master and each lists it as a started member. */
const awaitEtcd =
  (c: Container): StepExecutor =>
  async (ctx) => {
    const view = await loadCluster(c, ctx);
    const { name } = newReplicaOf(ctx);
    const started = Date.now();
    for (;;) {
      throwIfAborted(ctx.signal);
      const waitingFor: LogLine[] = [];
      const ids: Record<string, string> = {};
      for (const cluster of CLUSTERS) {
        const endpoint = c.endpoints.etcd(replicaAddress(view, name), cluster);
        const status = await c.etcd.status(endpoint, view.etcd[cluster], ETCD_CALL_MS);
        if (!status.ok) {
          waitingFor.push(logLine('waitEtcdAnswer', { cluster }));
          continue;
        }
        const members = await c.etcd.memberList([endpoint], view.etcd[cluster], ETCD_CALL_MS).catch(() => null);
        const self = members?.find((m) => m.name === `etcd-${name}`);
        if (!self) waitingFor.push(logLine('waitEtcdListed', { cluster, name }));
        else ids[cluster] = self.id;
      }
      const tookMs = Date.now() - started;
      if (waitingFor.length === 0) {
        await ctx.log(logLine('etcdAnswers', { name, seconds: secondsText(tookMs) }));
        return { detail: { tookMs, members: ids } };
      }
      if (tookMs > ETCD_TIMEOUT_MS)
        throw new SaidError(
          logLineWithItems('etcdStartTimeout', waitingFor, { name, seconds: String(ETCD_TIMEOUT_MS / 1_000) }),
        );
      await ctx.progress(progressSaid(logLineWithItems('waitingFor', waitingFor)));
      await pause(500, ctx.signal);
    }
  };

export function createClusterExecutors(c: Container) {
  return {
    'create-firewall-rules': createFirewallRules(c),
    'reserve-static-address': reserveStaticAddress(c),
    'issue-cluster-certificates': issueClusterCertificates(c),
    'await-etcd': awaitEtcd(c),
  } satisfies Record<string, StepExecutor>;
}

/** Executors of kinds a create shares with an add, which do something else there. */
export function createClusterOwnExecutors(c: Container) {
  return { 'create-disk': createDisk(c), 'create-instance': createInstance(c) } satisfies Record<string, StepExecutor>;
}

/** A failed create keeps no private key in the store (what it created in Compute stays, as kube-up leaves it). */
export function createClusterCompensations(c: Container): Record<string, StepCompensation> {
  return { 'issue-cluster-certificates': (ctx) => c.store.deleteOperationSecrets(ctx.operation.id) };
}

/** The stored plan's `rollback` of a create. */
export const CREATE_ROLLBACK_KINDS = ['issue-cluster-certificates'] as const;
