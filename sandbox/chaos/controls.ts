// Sandbox-only chaos controls under /sandbox/v1/chaos: stop a VM, kill etcd on a replica, freeze a
// replica, take a zone down and bring it back, so failures and recoveries can be rehearsed. Nothing here
// is persisted: a sandbox restart boots every RUNNING VM whole and every zone up.
//
// A zone outage, as the sandbox plays it: Compute keeps reporting the zone's instances RUNNING (GCE's
// control plane does not see that guests are cut off and does not change their status), but every link
// of the zone's VMs is cut (a real partition: their processes keep running, packets are lost, callers
// time out), so the load balancer's health checks fail and it stops sending them traffic, the zone's
// Nodes turn Ready=Unknown (the node lifecycle controller of a surviving master), and new capacity cannot
// be had there: instances.insert, start and reset in the zone, and disks.insert, fail with 503. Deleting
// or stopping an instance in the zone still works. Partitions between two zones and a dashboard cut off
// a zone are network faults too (sandbox/net).
import { setTimeout as sleep } from 'node:timers/promises';
import { GceError } from '../compute/gce-error';
import type { Cloud } from '../compute/cloud';
import { handleComputeRequest } from '../compute/router';
import { lastSegment } from '../compute/links';
import { ChaosRefusal } from '../vm/agent';
import type { ChaosEtcdCluster, VmChaos, VmChaosState } from '../vm/types';

export type ChaosAnswer = { status: number; body: unknown };

export type InstanceChaosView = {
  project: string;
  zone: string;
  name: string;
  /** As Compute reports it. */
  status: string;
  zoneDown: boolean;
} & Omit<VmChaosState, 'state'> & { vmState: VmChaosState['state'] };

export type ChaosStateView = {
  zonesDown: string[];
  /** Pairs of zones whose VMs cannot reach each other. */
  partitions: Array<[string, string]>;
  /** Zones the dashboard host cannot reach (nor they it). */
  dashboardCut: string[];
  instances: InstanceChaosView[];
};

/** The network faults of the twin (sandbox/net/twin-network.ts). */
export type NetworkFaults = {
  setZoneDown(zone: string, down: boolean): Promise<void>;
  setPartition(zoneA: string, zoneB: string, on: boolean): Promise<void>;
  setDashboardCut(zone: string, cut: boolean): Promise<void>;
  faults(): { partitions: readonly (readonly [string, string])[]; dashboardCut: readonly string[] };
};

const ETCD_CHOICES: Record<string, ChaosEtcdCluster[]> = {
  main: ['main'],
  events: ['events'],
  both: ['main', 'events'],
};

const INSTANCE_ACTION =
  /^\/sandbox\/v1\/chaos\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)\/(stop|kill-etcd|freeze|unfreeze|stop-sshd|start-sshd|replace-host-keys|restore)$/;
const ZONE_ACTION = /^\/sandbox\/v1\/chaos\/zones\/([^/]+)\/(down|up)$/;
const PARTITION_ACTION = /^\/sandbox\/v1\/chaos\/zones\/([^/]+)\/(partition|heal)\/([^/]+)$/;
const DASHBOARD_ACTION = /^\/sandbox\/v1\/chaos\/zones\/([^/]+)\/(cut-dashboard|reconnect-dashboard)$/;
// Mutations that need capacity in a zone: refused while the zone is down.
const NEEDS_CAPACITY = /^\/projects\/[^/]+\/zones\/([^/]+)\/(instances|disks)(\/[^/]+\/(start|reset))?$/;

/** Compute's own error answer to the call a chaos action made, passed on unchanged. */
class ComputeFailure extends Error {
  constructor(readonly answer: ChaosAnswer) {
    super(`Compute answered ${answer.status}`);
  }
}

export class ChaosControls {
  private readonly zonesDown = new Set<string>();
  private nodeWork: Promise<void> = Promise.resolve();

  constructor(
    private readonly cloud: Cloud,
    private readonly vms: VmChaos,
    private readonly net: NetworkFaults,
    private readonly onNetworkChange: () => void,
    private readonly log: (msg: string) => void,
  ) {}

  isZoneDown(zone: string): boolean {
    return this.zonesDown.has(zone);
  }

  /** A Compute mutation (path under /compute/v1) refused because its zone is down; null when it may go on. */
  refusal(method: string, computePath: string): ChaosAnswer | null {
    if (method !== 'POST') return null;
    const zone = NEEDS_CAPACITY.exec(computePath)?.[1];
    if (zone === undefined || !this.zonesDown.has(zone)) return null;
    const err = new GceError(
      503,
      'backendError',
      `The zone 'zones/${zone}' is currently unavailable (sandbox chaos: zone down). Try another zone.`,
    );
    return { status: 503, body: err.toJSON() };
  }

  async handle(method: string, path: string, body: unknown): Promise<ChaosAnswer> {
    try {
      if (path === '/sandbox/v1/chaos' && method === 'GET') return { status: 200, body: this.state() };
      const instance = INSTANCE_ACTION.exec(path);
      if (instance && method === 'POST') {
        const [, project = '', zone = '', name = '', action = ''] = instance.map((s) => decodeURIComponent(s));
        return { status: 200, body: await this.instanceAction(project, zone, name, action, body) };
      }
      const zone = ZONE_ACTION.exec(path);
      if (zone && method === 'POST') {
        const [, z = '', action = ''] = zone.map((s) => decodeURIComponent(s));
        return { status: 200, body: await this.zoneAction(z, action === 'down') };
      }
      const partition = PARTITION_ACTION.exec(path);
      if (partition && method === 'POST') {
        const [, a = '', action = '', b = ''] = partition.map((s) => decodeURIComponent(s));
        this.cloud.requireZone(a);
        this.cloud.requireZone(b);
        if (a === b) throw new GceError(400, 'invalid', `A partition needs two different zones (got ${a} twice).`);
        await this.net.setPartition(a, b, action === 'partition');
        this.log(
          `chaos: ${action === 'partition' ? 'partition between' : 'healed the partition between'} ${a} and ${b}`,
        );
        return { status: 200, body: this.state() };
      }
      const dashboard = DASHBOARD_ACTION.exec(path);
      if (dashboard && method === 'POST') {
        const [, z = '', action = ''] = dashboard.map((s) => decodeURIComponent(s));
        this.cloud.requireZone(z);
        await this.net.setDashboardCut(z, action === 'cut-dashboard');
        this.log(`chaos: dashboard ${action === 'cut-dashboard' ? 'cut off' : 'reconnected to'} ${z}`);
        return { status: 200, body: this.state() };
      }
      throw new GceError(404, 'notFound', `The requested URL ${path} was not found on this server (${method}).`);
    } catch (err) {
      if (err instanceof GceError) return { status: err.httpStatus, body: err.toJSON() };
      if (err instanceof ComputeFailure) return err.answer;
      if (err instanceof ChaosRefusal)
        return { status: 400, body: new GceError(400, 'resourceNotReady', err.message).toJSON() };
      if (err instanceof URIError)
        return { status: 400, body: new GceError(400, 'invalid', `Invalid URL path ${path}`).toJSON() };
      throw err;
    }
  }

  state(): ChaosStateView {
    const instances: InstanceChaosView[] = [];
    for (const [project, p] of Object.entries(this.cloud.state.projects)) {
      for (const i of Object.values(p.instances)) instances.push(this.view(project, lastSegment(i.zone), i.name));
    }
    instances.sort((a, b) => a.name.localeCompare(b.name));
    const faults = this.net.faults();
    return {
      zonesDown: [...this.zonesDown].sort(),
      partitions: faults.partitions.map(([a, b]) => [a, b] as [string, string]),
      dashboardCut: [...faults.dashboardCut].sort(),
      instances,
    };
  }

  private view(project: string, zone: string, name: string): InstanceChaosView {
    const instance = this.cloud.getInstance(project, zone, name);
    const { state, ...vm } = this.vms.describe(name);
    return { project, zone, name, status: instance.status, zoneDown: this.zonesDown.has(zone), vmState: state, ...vm };
  }

  private async instanceAction(
    project: string,
    zone: string,
    name: string,
    action: string,
    body: unknown,
  ): Promise<InstanceChaosView> {
    const instance = this.cloud.getInstance(project, zone, name);
    const compute = async (verb: 'stop' | 'start') => {
      const answer = await handleComputeRequest(
        this.cloud,
        'POST',
        `/projects/${project}/zones/${zone}/instances/${name}/${verb}`,
        new URLSearchParams(),
        undefined,
        new AbortController().signal,
      );
      if (answer.status !== 200) throw new ComputeFailure(answer);
    };
    const running = () => {
      if (instance.status !== 'RUNNING')
        throw new GceError(400, 'resourceNotReady', `Instance ${name} is ${instance.status}, not RUNNING.`);
    };
    switch (action) {
      case 'stop':
        this.log(`chaos: stopping ${name} (instances.stop)`);
        await compute('stop');
        break;
      case 'kill-etcd': {
        running();
        const choice =
          typeof body === 'object' && body !== null && 'cluster' in body
            ? (body as { cluster: unknown }).cluster
            : 'both';
        const clusters = typeof choice === 'string' ? ETCD_CHOICES[choice] : undefined;
        if (!clusters)
          throw new GceError(400, 'invalid', 'Invalid value for field "cluster": expected "main", "events" or "both".');
        await this.vms.killEtcd(name, clusters);
        break;
      }
      case 'freeze':
        running();
        await this.vms.freeze(name);
        break;
      case 'unfreeze':
        this.refuseInDownZone(zone, name);
        await this.vms.thaw(name);
        break;
      case 'stop-sshd':
      case 'start-sshd':
        running();
        this.log(`chaos: ${action === 'stop-sshd' ? 'stopping' : 'starting'} sshd on ${name}`);
        await this.vms.setSshd(name, action === 'start-sshd');
        break;
      case 'replace-host-keys':
        running();
        this.log(`chaos: new host keys for sshd on ${name}`);
        await this.vms.replaceHostKeys(name);
        break;
      case 'restore':
        this.refuseInDownZone(zone, name);
        // A stop still in progress ends first; then the VM is started like any stopped one.
        for (
          const deadline = Date.now() + 60_000;
          ['STOPPING', 'DEPROVISIONING'].includes(this.cloud.getInstance(project, zone, name).status) &&
          Date.now() < deadline;
        )
          await sleep(100);
        if (this.cloud.getInstance(project, zone, name).status === 'TERMINATED') {
          this.log(`chaos: restoring ${name} (instances.start)`);
          await compute('start');
        } else {
          running();
          this.log(`chaos: restoring ${name} (thaw, start killed etcds and a stopped sshd)`);
          await this.vms.restore(name);
          await this.vms.setSshd(name, true);
        }
        break;
    }
    return this.view(project, zone, name);
  }

  private refuseInDownZone(zone: string, name: string): void {
    if (this.zonesDown.has(zone)) {
      throw new GceError(
        409,
        'conditionNotMet',
        `Zone ${zone} is down: bring the zone back (POST /sandbox/v1/chaos/zones/${zone}/up) to restore ${name}.`,
      );
    }
  }

  /**
   * The zone's Nodes follow in the background, as the node lifecycle controller's do: after an election that
   * freezing a leader may cause. One zone change at a time, so a quick down/up ends in the last state asked.
   */
  private markNodes(zone: string, ready: boolean): void {
    this.nodeWork = this.nodeWork
      .then(() => this.vms.setZoneNodesReady(zone, ready))
      .then((n) => this.log(`chaos: ${n} nodes of ${zone} marked ${ready ? 'Ready' : 'NotReady (Unknown)'}`))
      .catch((err: unknown) =>
        this.log(`chaos: marking the nodes of ${zone}: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  private async zoneAction(zone: string, down: boolean): Promise<ChaosStateView> {
    this.cloud.requireZone(zone);
    const inZone = Object.values(this.cloud.state.projects).flatMap((p) =>
      Object.values(p.instances).filter((i) => lastSegment(i.zone) === zone),
    );
    await this.net.setZoneDown(zone, down);
    if (down) this.zonesDown.add(zone);
    else this.zonesDown.delete(zone);
    this.onNetworkChange();
    this.log(
      `chaos: zone ${zone} ${down ? 'down' : 'up'} (links of ${inZone.length} instances ${down ? 'cut' : 'restored'})`,
    );
    this.markNodes(zone, !down);
    return this.state();
  }
}
