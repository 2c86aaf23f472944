// What ties a preview to its run: the plan's fingerprint (the start runs the previewed plan, or refuses and shows the
// new one), the names it gives new replicas, and how long it should take. Pure: the browser shows it too.
import type { PlanStep, StepKind } from './planner';

/**
 * Typical seconds per step on Compute Engine (instance operations take tens of seconds; an API server's first start a
 * minute); an estimate, which the preview calls one. The load balancer's propagation comes from the caller.
 */
export const STEP_SECONDS: Record<StepKind, number> = {
  'snapshot-etcd': 10,
  'move-first-replica-to-ephemeral-ip': 30,
  'create-target-pool': 15,
  'create-forwarding-rule': 20,
  'await-cluster-address': 0,
  'pick-name': 1,
  'issue-certificates': 2,
  'add-learner': 3,
  'create-disk': 15,
  'create-instance': 60,
  'add-to-target-pool': 15,
  'await-learner-catch-up': 30,
  'promote-learner': 3,
  'await-api-server': 60,
  'resolve-replica': 2,
  'move-leadership': 5,
  'remove-member': 3,
  'remove-from-target-pool': 15,
  'delete-instance': 60,
  'delete-disk': 15,
  'delete-forwarding-rule': 20,
  'return-static-ip-to-last-replica': 45,
  'delete-target-pool': 15,
  'create-firewall-rules': 15,
  'reserve-static-address': 10,
  'issue-cluster-certificates': 2,
  'await-etcd': 90,
  'restart-instance': 30,
  'await-replica-rejoined': 60,
  verify: 5,
};

/**
 * How long a new forwarding rule takes to forward when QUORUM_LB_PROPAGATION_SECONDS does not say: the sandbox's
 * default SANDBOX_LB_DELAY_MS, and the ~20 minutes GCE takes (reference/ha-masters.md). The step that waits for it and
 * the plan's estimate read the same numbers.
 */
export const DEFAULT_LB_PROPAGATION_SECONDS = { sandbox: 20, gce: 20 * 60 } as const;

/** The plan's expected duration: its steps' typical times, and the load balancer's propagation where it waits for it. */
export function estimatePlanSeconds(steps: readonly Pick<PlanStep, 'kind'>[], lbPropagationSeconds: number): number {
  return steps.reduce(
    (sum, s) => sum + (s.kind === 'await-cluster-address' ? lbPropagationSeconds : STEP_SECONDS[s.kind]),
    0,
  );
}

/** FNV-1a, 64 bits, as 16 hex digits: enough to tell two plans apart, and the same on the server and in the browser. */
function fnv1a64(text: string): string {
  let h = BigInt('0xcbf29ce484222325');
  const prime = BigInt('0x100000001b3');
  const mask = (BigInt(1) << BigInt(64)) - BigInt(1);
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * prime) & mask;
  return h.toString(16).padStart(16, '0');
}

/** What the operator approved: every step with its title and params (names, zones), in order. */
export function planFingerprint(plan: {
  summary: string;
  steps: readonly Pick<PlanStep, 'id' | 'kind' | 'title' | 'params'>[];
}): string {
  return fnv1a64(JSON.stringify([plan.summary, plan.steps.map((s) => [s.id, s.kind, s.title, s.params])]));
}
