import 'server-only';
import { missingPermissions, quorumPermissions, usesOfSteps, type ProjectPermissions } from '@/lib/core/permissions';

export type { ProjectPermissions };
import type { PlanStep, Refusal } from '@/lib/core/planner';
import { serverRefusals } from '@/lib/core/server-refusals';
import type { Clock } from '@/lib/ports/clock';
import type { IamPort } from '@/lib/ports/iam';
import { redactSecrets } from '@/lib/server/security/redact';

/** How often the permissions are asked again while the server runs. */
export const PERMISSIONS_RECHECK_MS = 5 * 60_000;

/**
 * Quorum's own permissions per project, asked with testIamPermissions at start, again every 5 minutes and
 * whenever a caller wants an answer younger than it has. Concurrent askers of a project share one call.
 */
export class PermissionsPreflight {
  private readonly answers = new Map<string, ProjectPermissions>();
  private readonly inFlight = new Map<string, Promise<ProjectPermissions>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly iam: IamPort,
    private readonly projects: readonly string[],
    private readonly clock: Clock,
  ) {}

  /** Every configured project's answer, asking again those older than `maxAgeMs`. */
  report(maxAgeMs: number): Promise<ProjectPermissions[]> {
    return Promise.all(this.projects.map((p) => this.project(p, maxAgeMs)));
  }

  /** One project's answer, asking again when the one kept is older than `maxAgeMs` (0: always). */
  async project(project: string, maxAgeMs: number): Promise<ProjectPermissions> {
    const kept = this.answers.get(project);
    if (kept && this.clock.now().getTime() - Date.parse(kept.checkedAt) < maxAgeMs) return kept;
    const running = this.inFlight.get(project);
    if (running) return running;
    const asking = this.ask(project).finally(() => this.inFlight.delete(project));
    this.inFlight.set(project, asking);
    return asking;
  }

  private async ask(project: string): Promise<ProjectPermissions> {
    const checkedAt = this.clock.now().toISOString();
    let answer: ProjectPermissions;
    try {
      const held = await this.iam.heldPermissions(project, quorumPermissions());
      answer = { project, checkedAt, missing: missingPermissions(held), error: null };
    } catch (err) {
      answer = {
        project,
        checkedAt,
        missing: [],
        error: redactSecrets(err instanceof Error ? err.message : String(err)),
      };
    }
    this.answers.set(project, answer);
    return answer;
  }

  /** Asks now and then every `everyMs`; the timer does not keep the process alive. */
  start(everyMs = PERMISSIONS_RECHECK_MS): void {
    if (this.timer) return;
    void this.report(0);
    this.timer = setInterval(() => void this.report(0), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A change's steps checked against the permissions Quorum holds in the cluster's project, asked afresh (a
 * role granted a minute ago counts). PermissionMissing names each missing one with its role; null lets the
 * change go on. When Resource Manager cannot answer (its API disabled in the project, no route to it), no change
 * runs either: a change is allowed only once its permissions are known to be held, rather than finding a missing
 * one halfway through an operation on Compute's 403.
 */
export async function permissionRefusal(
  preflight: PermissionsPreflight,
  project: string,
  steps: readonly Pick<PlanStep, 'kind'>[],
): Promise<Refusal | null> {
  const answer = await preflight.project(project, 0);
  if (answer.error !== null) return serverRefusals.permissionsUnchecked(project, answer.error);
  const uses = usesOfSteps(steps);
  return serverRefusals.permissionsMissing(
    project,
    answer.missing.filter((m) => m.uses.some((u) => uses.includes(u))),
  );
}
