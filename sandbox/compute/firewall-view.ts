// What the twin's firewall (sandbox/net) enforces for a VM, read from the emulated cloud: the firewall
// rules of its network's project (its own, or a Shared VPC host's) and every instance on that network,
// for source tags.
import { ingressRuleset, type FirewallVm } from '../net/firewall-plan';
import type { Cloud } from './cloud';
import { parseRef } from './links';
import type { Instance } from './schemas';

function firewallVm(instance: Instance): FirewallVm | undefined {
  const nic = instance.networkInterfaces[0];
  if (!nic) return undefined;
  return {
    name: instance.name,
    network: nic.network,
    // GCE's source tags stand for the primary internal IP only (not alias ranges, not external IPs).
    ip: nic.networkIP,
    tags: instance.tags.items,
    serviceAccounts: (instance.serviceAccounts ?? []).map((sa) => sa.email),
  };
}

/**
 * The nftables ruleset of the VM of instance `name` (instance names are unique in the sandbox, and the
 * VM host keys VMs by them); undefined when there is no such instance.
 */
export function ingressRulesetOf(cloud: Cloud, name: string): string | undefined {
  const found = cloud.findInstanceByName(name);
  if (!found) return undefined;
  const vm = firewallVm(found.instance);
  if (!vm) return undefined;
  const networkProject =
    parseRef(vm.network, { project: found.project, scopeKind: 'global', scope: 'global', collection: 'networks' })
      ?.project ?? found.project;
  const onNetwork = cloud.allInstances().flatMap((i) => {
    const other = firewallVm(i);
    return other && other.network === vm.network ? [other] : [];
  });
  return ingressRuleset(Object.values(cloud.peekProject(networkProject)?.firewalls ?? {}), vm, onNetwork);
}
