// What the data plane (sandbox/net) should forward, read from the emulated cloud: forwarding rules
// with their ports, propagation time and the internal IPs of their pool's RUNNING instances, and
// the external IPs of RUNNING instances.
import type { ForwardingRuleView, NatView, NetworkView } from '../net/sandbox-network';
import type { Cloud } from './cloud';
import { lastSegment } from './links';

// A rule with a wide portRange would open thousands of listeners; kube-up's uses one port.
export const MAX_FORWARDED_PORTS = 16;

/** Ports a rule forwards: its portRange (at most MAX_FORWARDED_PORTS of it), else the API server's port. */
export function forwardedPorts(portRange: string | undefined, defaultPort: number): number[] {
  if (portRange === undefined || portRange === '') return [defaultPort];
  const m = /^(\d+)-(\d+)$/.exec(portRange) ?? /^(\d+)$/.exec(portRange);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || !Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65_535 || lo > hi) return [];
  const ports: number[] = [];
  for (let p = lo; p <= hi && ports.length < MAX_FORWARDED_PORTS; p++) ports.push(p);
  return ports;
}

/** `zoneDown`: chaos; instances of a zone that is down get no traffic (their health checks fail). */
export function networkView(
  cloud: Cloud,
  apiServerPort: number,
  zoneDown: (zone: string) => boolean = () => false,
): NetworkView {
  const reachable = (instance: { status: string; zone: string }) =>
    instance.status === 'RUNNING' && !zoneDown(lastSegment(instance.zone));
  const rules: ForwardingRuleView[] = [];
  const nats: NatView[] = [];
  for (const [project, p] of Object.entries(cloud.state.projects)) {
    for (const rule of Object.values(p.forwardingRules)) {
      // UDP is not forwarded: nothing in a kube-up cluster uses it behind the master's address.
      if (rule.IPProtocol !== 'TCP') continue;
      const pool = Object.values(p.targetPools).find((t) => t.selfLink === rule.target);
      const members: string[] = [];
      for (const link of pool?.instances ?? []) {
        const found = cloud.findInstanceByRef(project, link, '');
        const ip = found?.instance.networkInterfaces[0]?.networkIP;
        if (found && reachable(found.instance) && ip) members.push(ip);
      }
      rules.push({
        key: rule.selfLink,
        name: rule.name,
        ip: rule.IPAddress,
        ports: forwardedPorts(rule.portRange, apiServerPort),
        activeAt: cloud.forwardingFrom.get(rule.selfLink) ?? 0,
        members,
      });
    }
    for (const instance of Object.values(p.instances)) {
      if (!reachable(instance)) continue;
      const nic = instance.networkInterfaces[0];
      if (!nic) continue;
      for (const ac of nic.accessConfigs) {
        if (ac.natIP) nats.push({ ip: ac.natIP, internalIp: nic.networkIP, instance: instance.name });
      }
    }
  }
  return { rules, nats };
}
