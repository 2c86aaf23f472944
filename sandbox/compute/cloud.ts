// The emulated cloud: its state, lookups that fail the way GCE fails, the address plan, asynchronous
// Operations, and the link to the VM host. Handlers (instances.ts, networking.ts, ...) mutate the
// state synchronously, so a request's checks and its effect can never interleave with another one.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VmHost, VmSpec } from '../vm/types';
import { findRegion, regionNumber, regionOfZone, type RegionInfo } from './catalog';
import { GceError, HTTP_STATUS_TEXT, invalidField, notFound } from './gce-error';
import { cidrAddresses, lowestFree, twinAddressPlan, type AddressPlan, type Subnet } from './ip-plan';
import {
  gceTimestamp,
  globalLink,
  lastSegment,
  newId,
  newOperationName,
  parseRef,
  regionLink,
  regionalLink,
  zonalLink,
  zoneLink,
} from './links';
import {
  emptyProject,
  type Address,
  type Disk,
  type Effect,
  type Firewall,
  type ForwardingRule,
  type Instance,
  type Operation,
  type ProjectState,
  type SandboxState,
  type StoredOperation,
  type TargetPool,
} from './schemas';
import { writeStateFile } from './state-file';
import { VmRunner } from './vm-runner';

export type CloudOptions = {
  /** `<dataDir>/sandbox`: state.json and disks/ live here. */
  sandboxDir: string;
  net: number;
  /** Where addresses come from: the twin's plan for `net` when absent (see ip-plan.ts). */
  addressPlan?: AddressPlan;
  /** False: state.json is not written (an emulator that is never restarted); default true. */
  persistState?: boolean;
  opDelayMs: number;
  /** How long a stopped or deleted instance is DEPROVISIONING before it is TERMINATED or gone (default opDelayMs / 4). */
  deprovisioningMs?: number;
  bootDelayMs: number;
  /** Time from a forwarding rule's insert being DONE to the rule forwarding (GCE: up to ~20 min). */
  lbDelayMs: number;
  /** How long operations.wait blocks at most (GCE: about 2 minutes). */
  waitTimeoutMs: number;
  metadataUrl: string;
  vmHost: VmHost;
  log: (msg: string) => void;
};

export type OperationScope = { zone: string } | { region: string } | { global: true };

const MAX_OPERATIONS_PER_PROJECT = 500;

export class Cloud {
  readonly vms: VmRunner;
  readonly addresses: AddressPlan;
  private readonly opTimers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly changeListeners = new Set<() => void>();
  private closed = false;
  /**
   * Zones whose Compute API is down (sandbox chaos, sandbox/chaos/zone-api.ts): zonal calls there fail with
   * 503 and aggregatedList fails unless it asked for partial success. Not persisted.
   */
  readonly zonesApiDown = new Set<string>();
  /**
   * Epoch ms from which a forwarding rule inserted since this start forwards (Infinity until its
   * insert is DONE). Rules not listed existed before the start and forward at once: their
   * propagation happened in an earlier run, so it is not kept in state.json.
   */
  readonly forwardingFrom = new Map<string, number>();

  constructor(
    readonly opts: CloudOptions,
    readonly state: SandboxState,
  ) {
    this.vms = new VmRunner(opts.vmHost, opts.log);
    this.addresses = opts.addressPlan ?? twinAddressPlan(opts.net);
  }

  get statePath(): string {
    return join(this.opts.sandboxDir, 'state.json');
  }

  /** Saves the state and tells the listeners (the data plane) that something changed. */
  persist(): void {
    if (this.closed) return;
    if (this.opts.persistState !== false) writeStateFile(this.statePath, this.state);
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch (err) {
        this.opts.log(`state listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  }

  /** Called after every change of the state; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Projects exist on demand: any project id is accepted, and is stored once something is created in it. */
  project(project: string): ProjectState {
    let p = this.state.projects[project];
    if (!p) {
      p = emptyProject();
      this.state.projects[project] = p;
    }
    return p;
  }

  peekProject(project: string): ProjectState | undefined {
    return this.state.projects[project];
  }

  // --- geography ----------------------------------------------------------------------------

  requireZone(zone: string): RegionInfo {
    const region = regionOfZone(zone);
    if (!region) throw invalidField('zone', zone, 'Unknown zone.');
    return region;
  }

  requireRegion(region: string): RegionInfo {
    const r = findRegion(region);
    if (!r) throw invalidField('region', region, 'Unknown region.');
    return r;
  }

  subnetOf(region: string): Subnet {
    const n = regionNumber(region);
    if (n === undefined) throw invalidField('region', region, 'Unknown region.');
    return this.addresses.regionSubnet(n);
  }

  diskDir(zone: string, diskName: string): string {
    return join(this.opts.sandboxDir, 'disks', zone, diskName);
  }

  // --- lookups ------------------------------------------------------------------------------

  getInstance(project: string, zone: string, name: string): Instance {
    const i = this.peekProject(project)?.instances[`${zone}/${name}`];
    if (!i) throw notFound(`projects/${project}/zones/${zone}/instances/${name}`);
    return i;
  }

  getDisk(project: string, zone: string, name: string): Disk {
    const d = this.peekProject(project)?.disks[`${zone}/${name}`];
    if (!d) throw notFound(`projects/${project}/zones/${zone}/disks/${name}`);
    return d;
  }

  getAddress(project: string, region: string, name: string): Address {
    const a = this.peekProject(project)?.addresses[`${region}/${name}`];
    if (!a) throw notFound(`projects/${project}/regions/${region}/addresses/${name}`);
    return a;
  }

  getTargetPool(project: string, region: string, name: string): TargetPool {
    const t = this.peekProject(project)?.targetPools[`${region}/${name}`];
    if (!t) throw notFound(`projects/${project}/regions/${region}/targetPools/${name}`);
    return t;
  }

  getForwardingRule(project: string, region: string, name: string): ForwardingRule {
    const f = this.peekProject(project)?.forwardingRules[`${region}/${name}`];
    if (!f) throw notFound(`projects/${project}/regions/${region}/forwardingRules/${name}`);
    return f;
  }

  getFirewall(project: string, name: string): Firewall {
    const f = this.peekProject(project)?.firewalls[name];
    if (!f) throw notFound(`projects/${project}/global/firewalls/${name}`);
    return f;
  }

  /** An instance reference (URL or partial) from a request body; undefined when it does not resolve. */
  findInstanceByRef(
    project: string,
    ref: string,
    defaultZone: string,
  ): { project: string; instance: Instance } | undefined {
    const r = parseRef(ref, { project, scopeKind: 'zones', scope: defaultZone, collection: 'instances' });
    if (!r || r.scopeKind !== 'zones' || r.collection !== 'instances') return undefined;
    const instance = this.peekProject(r.project)?.instances[`${r.scope}/${r.name}`];
    return instance ? { project: r.project, instance } : undefined;
  }

  /** The RUNNING instance whose internal IP is `ip`: how the metadata server knows its caller. */
  findRunningInstanceByIp(ip: string): { project: string; instance: Instance } | undefined {
    for (const [project, p] of Object.entries(this.state.projects)) {
      for (const instance of Object.values(p.instances)) {
        if (instance.status === 'RUNNING' && instance.networkInterfaces.some((n) => n.networkIP === ip))
          return { project, instance };
      }
    }
    return undefined;
  }

  /** Every instance of every project. */
  allInstances(): Instance[] {
    return Object.values(this.state.projects).flatMap((p) => Object.values(p.instances));
  }

  /** Instance names are unique across the sandbox, because the VM host keys VMs by name. */
  findInstanceByName(name: string): { project: string; instance: Instance } | undefined {
    for (const [project, p] of Object.entries(this.state.projects)) {
      for (const instance of Object.values(p.instances)) if (instance.name === name) return { project, instance };
    }
    return undefined;
  }

  // --- address plan -------------------------------------------------------------------------

  /** Internal IPs taken anywhere in the sandbox (instances and INTERNAL addresses). */
  usedInternalIps(): Set<string> {
    const used = new Set<string>();
    for (const p of Object.values(this.state.projects)) {
      for (const i of Object.values(p.instances)) {
        for (const n of i.networkInterfaces) {
          used.add(n.networkIP);
          for (const alias of n.aliasIpRanges ?? [])
            for (const ip of cidrAddresses(alias.ipCidrRange) ?? []) used.add(ip);
        }
      }
      for (const a of Object.values(p.addresses)) if (a.addressType === 'INTERNAL') used.add(a.address);
    }
    return used;
  }

  /** External IPs taken anywhere in the sandbox (natIPs, EXTERNAL addresses, forwarding rules). */
  usedExternalIps(): Set<string> {
    const used = new Set<string>();
    for (const p of Object.values(this.state.projects)) {
      for (const i of Object.values(p.instances)) {
        for (const n of i.networkInterfaces) for (const ac of n.accessConfigs) if (ac.natIP) used.add(ac.natIP);
      }
      for (const a of Object.values(p.addresses)) if (a.addressType === 'EXTERNAL') used.add(a.address);
      for (const f of Object.values(p.forwardingRules)) used.add(f.IPAddress);
    }
    return used;
  }

  /** The static address of the project and region holding `ip`, if any. */
  findAddressByIp(project: string, region: string, ip: string): Address | undefined {
    const p = this.peekProject(project);
    if (!p) return undefined;
    return Object.values(p.addresses).find((a) => a.address === ip && lastSegment(a.region) === region);
  }

  addAddressUser(address: Address, userLink: string): void {
    const users = new Set(address.users ?? []);
    users.add(userLink);
    address.users = [...users];
    if (address.status !== 'RESERVING') address.status = 'IN_USE';
  }

  /** Drops `userLink` from every address that lists it; an address with no user left is RESERVED again. */
  releaseAddressesOf(project: string, userLink: string, onlyIp?: string): void {
    const p = this.peekProject(project);
    if (!p) return;
    for (const a of Object.values(p.addresses)) {
      if (!a.users?.includes(userLink) || (onlyIp !== undefined && a.address !== onlyIp)) continue;
      const rest = a.users.filter((u) => u !== userLink);
      if (rest.length > 0) {
        a.users = rest;
      } else {
        delete a.users;
        if (a.status === 'IN_USE') a.status = 'RESERVED';
      }
    }
  }

  // --- VMs ----------------------------------------------------------------------------------

  vmSpec(project: string, instance: Instance): VmSpec {
    const zone = lastSegment(instance.zone);
    const pd =
      instance.disks.find((d) => d.deviceName === 'master-pd') ??
      instance.disks.find((d) => d.boot) ??
      instance.disks[0];
    return {
      project,
      zone,
      name: instance.name,
      internalIp: instance.networkInterfaces[0]?.networkIP ?? '',
      diskDir: this.diskDir(zone, pd ? lastSegment(pd.source) : instance.name),
      metadataUrl: this.opts.metadataUrl,
    };
  }

  /** At sandbox start: boot every VM that was RUNNING when the sandbox stopped. */
  bootRunningInstances(): void {
    for (const [project, p] of Object.entries(this.state.projects)) {
      for (const i of Object.values(p.instances)) if (i.status === 'RUNNING') this.vms.boot(this.vmSpec(project, i), 0);
    }
  }

  removeDiskDir(zone: string, diskName: string): void {
    rmSync(this.diskDir(zone, diskName), { recursive: true, force: true });
  }

  // --- operations ---------------------------------------------------------------------------

  /** The operation a mutation with this requestId started in the project, if it is still kept. */
  findOperationByRequestId(project: string, requestId: string): StoredOperation | undefined {
    const p = this.peekProject(project);
    if (!p) return undefined;
    return Object.values(p.operations).find((o) => o.requestId === requestId);
  }

  /** Ties a requestId to the operation its call started, and to that call (see router.ts). */
  recordRequest(project: string, operationName: string, requestId: string, requestKey: string): void {
    const stored = this.peekProject(project)?.operations[operationName];
    if (!stored) return;
    stored.requestId = requestId;
    stored.requestKey = requestKey;
    stored.op.clientOperationId = requestId;
    this.persist();
  }

  getOperation(project: string, scope: OperationScope, name: string): Operation {
    const stored = this.peekProject(project)?.operations[name];
    const scopePath =
      'zone' in scope ? `zones/${scope.zone}` : 'region' in scope ? `regions/${scope.region}` : 'global';
    const matches =
      stored &&
      ('zone' in scope
        ? stored.op.zone !== undefined && lastSegment(stored.op.zone) === scope.zone
        : 'region' in scope
          ? stored.op.region !== undefined && lastSegment(stored.op.region) === scope.region
          : stored.op.zone === undefined && stored.op.region === undefined);
    if (!stored || !matches) throw notFound(`projects/${project}/${scopePath}/operations/${name}`);
    return stored.op;
  }

  listOperations(project: string, scope: OperationScope): Operation[] {
    const p = this.peekProject(project);
    if (!p) return [];
    return Object.values(p.operations)
      .sort((a, b) => a.createdAtMs - b.createdAtMs)
      .map((o) => o.op)
      .filter((op) =>
        'zone' in scope
          ? op.zone !== undefined && lastSegment(op.zone) === scope.zone
          : 'region' in scope
            ? op.region !== undefined && lastSegment(op.region) === scope.region
            : op.zone === undefined && op.region === undefined,
      );
  }

  /**
   * Records an Operation for a mutation whose synchronous part is already applied; `effect` runs
   * when it goes DONE, SANDBOX_OP_DELAY_MS later (or at the next sandbox start if it stops first).
   */
  startOperation(args: {
    project: string;
    scope: OperationScope;
    operationType: string;
    target: { selfLink: string; id?: string };
    effect?: Effect;
    requestId?: string;
    /** The operation is not DONE before this settles either (a stop or delete waits for the VM to be down). */
    waitFor?: Promise<unknown>;
    /** It ends DONE with this error and applies nothing (sandbox fault injection). */
    failure?: StoredOperation['failure'];
  }): Operation {
    const now = Date.now();
    const name = newOperationName(now);
    const scopeFields =
      'zone' in args.scope
        ? {
            zone: zoneLink(args.project, args.scope.zone),
            selfLink: zonalLink(args.project, args.scope.zone, 'operations', name),
          }
        : 'region' in args.scope
          ? {
              region: regionLink(args.project, args.scope.region),
              selfLink: regionalLink(args.project, args.scope.region, 'operations', name),
            }
          : { selfLink: globalLink(args.project, 'operations', name) };
    const op: Operation = {
      kind: 'compute#operation',
      id: newId(),
      name,
      operationType: args.operationType,
      targetLink: args.target.selfLink,
      targetId: args.target.id,
      status: 'PENDING',
      user: `sandbox@${args.project}.iam.gserviceaccount.com`,
      progress: 0,
      insertTime: gceTimestamp(new Date(now)),
      ...scopeFields,
      ...(args.requestId ? { clientOperationId: args.requestId } : {}),
    };
    const stored: StoredOperation = {
      op,
      effect: args.effect,
      requestId: args.requestId,
      createdAtMs: now,
      ...(args.failure ? { failure: args.failure } : {}),
    };
    const p = this.project(args.project);
    p.operations[name] = stored;
    this.pruneOperations(p);
    this.persist();

    const delay = this.opts.opDelayMs;
    // An inserted instance is PENDING first (GCE finding capacity), then PROVISIONING, then STAGING.
    this.schedule(Math.floor(delay / 4), () => {
      if (stored.effect && this.applyEarly(args.project, stored.effect)) this.persist();
    });
    this.schedule(Math.floor(delay / 2), () => {
      if (op.status !== 'PENDING') return;
      op.status = 'RUNNING';
      op.startTime = gceTimestamp();
      if (stored.effect) this.applyMidway(args.project, stored.effect);
      this.persist();
    });
    const finish = () => {
      if (this.closed) return;
      try {
        this.completeOperation(args.project, stored, 'live');
      } catch (err) {
        this.opts.log(`operation step failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    };
    // Once the guest is down, a stopped or deleted instance is DEPROVISIONING for a moment (GCE releasing
    // its resources) before it is TERMINATED or gone.
    const guestDown = () => {
      if (this.closed) return;
      if (stored.effect && this.applyDeprovisioning(args.project, stored.effect)) {
        this.persist();
        this.schedule(this.opts.deprovisioningMs ?? Math.floor(delay / 4), finish);
      } else {
        finish();
      }
    };
    const { waitFor } = args;
    this.schedule(delay, () => {
      if (!waitFor) guestDown();
      else void waitFor.then(guestDown);
    });
    return op;
  }

  /** Resolves with the operation once DONE, or as it is when `timeoutMs` passes (GCE's wait semantics). */
  waitOperation(project: string, scope: OperationScope, name: string, signal?: AbortSignal): Promise<Operation> {
    const op = this.getOperation(project, scope, name);
    if (op.status === 'DONE') return Promise.resolve(op);
    const key = `${project}/${name}`;
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, set);
      const finish = () => {
        clearTimeout(timer);
        set.delete(finish);
        if (set.size === 0) this.waiters.delete(key);
        signal?.removeEventListener('abort', finish);
        resolve(op);
      };
      const timer = setTimeout(finish, this.opts.waitTimeoutMs);
      set.add(finish);
      signal?.addEventListener('abort', finish);
    });
  }

  /** At sandbox start: finish the operations that were in flight when the sandbox stopped. */
  completePendingOperations(): void {
    for (const [project, p] of Object.entries(this.state.projects)) {
      for (const stored of Object.values(p.operations).sort((a, b) => a.createdAtMs - b.createdAtMs)) {
        if (stored.op.status !== 'DONE') this.completeOperation(project, stored, 'recovery');
      }
    }
  }

  /** Stops timers and waiters; pending operations stay pending in state.json and finish at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.opTimers) clearTimeout(t);
    this.opTimers.clear();
    for (const set of this.waiters.values()) for (const finish of [...set]) finish();
    await this.vms.close();
  }

  private schedule(delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.opTimers.delete(timer);
      if (this.closed) return;
      try {
        fn();
      } catch (err) {
        this.opts.log(`operation step failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }, delayMs);
    this.opTimers.add(timer);
  }

  private completeOperation(project: string, stored: StoredOperation, mode: 'live' | 'recovery'): void {
    const { op } = stored;
    if (op.status === 'DONE') return;
    let failure: GceError | undefined;
    if (stored.effect) {
      try {
        this.applyEffect(project, stored.effect, mode);
      } catch (err) {
        if (!(err instanceof GceError)) throw err;
        failure = err;
      }
    }
    op.status = 'DONE';
    op.progress = 100;
    op.startTime ??= gceTimestamp();
    op.endTime = gceTimestamp();
    if (stored.failure) {
      const f = stored.failure;
      op.error = {
        errors: [{ code: f.code, message: f.message, ...(f.errorDetails ? { errorDetails: f.errorDetails } : {}) }],
      };
      op.httpErrorStatusCode = f.httpStatus;
      op.httpErrorMessage = HTTP_STATUS_TEXT[f.httpStatus] ?? 'ERROR';
    } else if (failure) {
      op.error = { errors: [{ code: failure.operationCode, message: failure.message }] };
      op.httpErrorStatusCode = failure.httpStatus;
      op.httpErrorMessage = HTTP_STATUS_TEXT[failure.httpStatus] ?? 'ERROR';
    }
    this.persist();
    const set = this.waiters.get(`${project}/${op.name}`);
    if (set) for (const finish of [...set]) finish();
  }

  private pruneOperations(p: ProjectState): void {
    const ops = Object.values(p.operations);
    if (ops.length <= MAX_OPERATIONS_PER_PROJECT) return;
    const done = ops.filter((o) => o.op.status === 'DONE').sort((a, b) => a.createdAtMs - b.createdAtMs);
    for (const o of done.slice(0, ops.length - MAX_OPERATIONS_PER_PROJECT)) delete p.operations[o.op.name];
  }

  /** PENDING -> PROVISIONING; true when something changed. */
  private applyEarly(project: string, effect: Effect): boolean {
    if (effect.type !== 'instanceRunning') return false;
    const i = this.peekProject(project)?.instances[`${effect.zone}/${effect.name}`];
    if (i?.status !== 'PENDING') return false;
    i.status = 'PROVISIONING';
    return true;
  }

  private applyMidway(project: string, effect: Effect): void {
    if (effect.type !== 'instanceRunning') return;
    const i = this.peekProject(project)?.instances[`${effect.zone}/${effect.name}`];
    if (i?.status === 'PENDING' || i?.status === 'PROVISIONING') i.status = 'STAGING';
  }

  /** STOPPING -> DEPROVISIONING for a stop or delete whose guest is down; true when something changed. */
  private applyDeprovisioning(project: string, effect: Effect): boolean {
    if (effect.type !== 'instanceTerminated' && effect.type !== 'instanceDeleted') return false;
    const i = this.peekProject(project)?.instances[`${effect.zone}/${effect.name}`];
    if (i?.status !== 'STOPPING') return false;
    i.status = 'DEPROVISIONING';
    return true;
  }

  /** Finishing effects. Throwing a GceError fails the operation (`operation.error`), as GCE does. */
  private applyEffect(project: string, effect: Effect, mode: 'live' | 'recovery'): void {
    const p = this.project(project);
    switch (effect.type) {
      case 'instanceRunning': {
        const i = p.instances[`${effect.zone}/${effect.name}`];
        if (!i || (i.status !== 'PENDING' && i.status !== 'PROVISIONING' && i.status !== 'STAGING')) return;
        i.status = 'RUNNING';
        i.lastStartTimestamp = gceTimestamp();
        this.assignEphemeralNatIps(i);
        if (mode === 'live') this.vms.boot(this.vmSpec(project, i), this.opts.bootDelayMs);
        return;
      }
      case 'instanceTerminated': {
        const i = p.instances[`${effect.zone}/${effect.name}`];
        if (!i || (i.status !== 'STOPPING' && i.status !== 'DEPROVISIONING')) return;
        i.status = 'TERMINATED';
        i.lastStopTimestamp = gceTimestamp();
        // A stopped instance loses its ephemeral external IP; static ones stay attached.
        for (const nic of i.networkInterfaces) {
          for (const ac of nic.accessConfigs) {
            if (ac.natIP && !this.findAddressByIp(project, regionOfZone(effect.zone)?.name ?? '', ac.natIP))
              delete ac.natIP;
          }
        }
        return;
      }
      case 'instanceDeleted': {
        const key = `${effect.zone}/${effect.name}`;
        const i = p.instances[key];
        if (!i) return;
        delete p.instances[key];
        if (p.guestAttributes) delete p.guestAttributes[key];
        this.releaseAddressesOf(project, i.selfLink);
        const doomed: string[] = [];
        for (const attached of i.disks) {
          const diskName = lastSegment(attached.source);
          const disk = p.disks[`${effect.zone}/${diskName}`];
          if (!disk) continue;
          disk.users = (disk.users ?? []).filter((u) => u !== i.selfLink);
          if (disk.users.length === 0) delete disk.users;
          disk.lastDetachTimestamp = gceTimestamp();
          if (attached.autoDelete) {
            delete p.disks[`${effect.zone}/${diskName}`];
            doomed.push(diskName);
          }
        }
        // The delete operation waited for the VM to be down, so nothing uses these directories any more.
        for (const d of doomed) this.removeDiskDir(effect.zone, d);
        return;
      }
      case 'instanceReset': {
        const i = p.instances[`${effect.zone}/${effect.name}`];
        if (i?.status === 'RUNNING' && mode === 'live') this.vms.boot(this.vmSpec(project, i), this.opts.bootDelayMs);
        return;
      }
      case 'diskReady': {
        const d = p.disks[`${effect.zone}/${effect.name}`];
        if (d?.status === 'CREATING') d.status = 'READY';
        return;
      }
      case 'addressReserved': {
        const a = p.addresses[`${effect.region}/${effect.name}`];
        if (a?.status === 'RESERVING') a.status = a.users && a.users.length > 0 ? 'IN_USE' : 'RESERVED';
        return;
      }
      case 'forwardingRuleInserted': {
        const rule = p.forwardingRules[`${effect.region}/${effect.name}`];
        // Also after a restart: a rule whose insert had not finished had not propagated either.
        if (rule) this.forwardingFrom.set(rule.selfLink, Date.now() + this.opts.lbDelayMs);
        return;
      }
      case 'targetPoolMembership': {
        const pool = this.getTargetPool(project, effect.region, effect.name);
        if (effect.add) {
          const links = effect.instances.map((ref) => {
            const found = this.findInstanceByRef(project, ref, '');
            if (!found) {
              const r = parseRef(ref, { project, scopeKind: 'zones', scope: '', collection: 'instances' });
              throw notFound(r ? `projects/${r.project}/zones/${r.scope}/instances/${r.name}` : ref);
            }
            if (regionOfZone(lastSegment(found.instance.zone))?.name !== effect.region) {
              throw invalidField('instances', found.instance.selfLink, `Instance is not in region '${effect.region}'.`);
            }
            return found.instance.selfLink;
          });
          pool.instances = [...new Set([...pool.instances, ...links])];
        } else {
          const drop = new Set(
            effect.instances.map((ref) => {
              const r = parseRef(ref, { project, scopeKind: 'zones', scope: '', collection: 'instances' });
              return r ? zonalLink(r.project, r.scope, 'instances', r.name) : ref;
            }),
          );
          pool.instances = pool.instances.filter((l) => !drop.has(l));
        }
        return;
      }
    }
  }

  /** Gives ephemeral access configs without an address one from the ephemeral pool (at start/insert). */
  assignEphemeralNatIps(i: Instance): void {
    const used = this.usedExternalIps();
    for (const nic of i.networkInterfaces) {
      for (const ac of nic.accessConfigs) {
        if (ac.natIP) continue;
        const ip = lowestFree(this.addresses.ephemeralExternalPool(), used);
        if (ip) {
          ac.natIP = ip;
          used.add(ip);
        }
      }
    }
  }
}
