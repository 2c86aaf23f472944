import 'server-only';
import { z } from 'zod';
import { refused, type DomainErrorCode, type Result } from '@/lib/core/errors';
import { refusalDetail } from '@/lib/core/audit';
import type { PlanParams } from '@/lib/core/planner';
import { actorOf, hasRole, type Caller, type Role } from '@/lib/core/roles';
import { serverRefusals, type ServerRefusal } from '@/lib/core/server-refusals';
import { isProviderError } from '@/lib/ports/provider-error';
import { currentCaller, currentSource } from '@/lib/server/auth/caller';
import { container } from '@/lib/server/container';
import { recordAnonymousRefusal } from '@/lib/server/audit/anonymous-refusals';
import { providerRefusal } from '@/lib/server/provider-refusal';
import { checkMutationRate } from '@/lib/server/rate-limit/actions';

export type ActionContext = {
  /** Who acts, as the journal and the audit log name them (the signed-in user's email). */
  actor: string;
  caller: Caller;
};

/** Who may call an action, and whether it changes anything (mutating actions are rate-limited per user). */
export type ActionAccess = { role: Role; mutates: boolean };

/** An attempt refused before the action ran (nobody signed in, a role too low, too many requests), in the audit log. */
export async function auditedRefusal<T>(
  name: string,
  caller: Caller | null,
  code: DomainErrorCode,
  message: string,
  extra: { retryAfterSeconds?: number; params?: PlanParams } = {},
): Promise<Result<T>> {
  try {
    if (!caller) {
      // Nobody signed in: folded per source and minute (lib/server/audit/anonymous-refusals.ts), so a flood of
      // anonymous requests cannot fill the append-only log.
      await recordAnonymousRefusal({ source: await currentSource(), action: `action.${name}`, code, message });
      return { ok: false, code, message, ...extra };
    }
    await container().store.addAudit({
      actor: actorOf(caller),
      source: caller.source,
      action: `action.${name}`,
      outcome: 'refused',
      // With the params that word it, so the audit page reads it in the reader's language (lib/core/audit.ts).
      detail: { ...refusalDetail({ code, message, params: extra.params }), role: caller.role },
    });
  } catch (error) {
    console.error(`[action ${name}] could not audit a refused attempt`, error);
  }
  return { ok: false, code, message, ...extra };
}

/** One of lib/core/server-refusals.ts's refusals, audited like any other, with the params that word it. */
export function serverRefusal<T>(
  name: string,
  caller: Caller | null,
  refusal: ServerRefusal,
  extra: { retryAfterSeconds?: number } = {},
): Promise<Result<T>> {
  return auditedRefusal(name, caller, refusal.code, refusal.message, { ...extra, params: refusal.params });
}

/**
 * The one shape every server action has (STYLE.md): check who calls (signed in, role high enough, and for a
 * mutating action under the per-user rate; refused attempts are audited), parse the untyped input with zod, run the use-case, and map expected failures to
 * typed results: a provider's failure (ProviderError) becomes its code with words (providerRefusal), audited when
 * the action would have changed something. Unexpected errors are logged on the server and come back as a generic
 * message: no stack trace ever reaches the browser.
 */
export function defineAction<S extends z.ZodType, T>(
  name: string,
  access: ActionAccess,
  schema: S,
  handler: (input: z.infer<S>, ctx: ActionContext) => Promise<Result<T>>,
): (input: unknown) => Promise<Result<T>> {
  return async (raw: unknown) => {
    let caller: Caller | null;
    try {
      caller = await currentCaller();
    } catch (error) {
      console.error(`[action ${name}] reading the session failed`, error);
      caller = null;
    }
    if (!caller) return serverRefusal(name, null, serverRefusals.signInFirst());
    if (caller.mustChangePassword) return serverRefusal(name, caller, serverRefusals.passwordChangeRequired());
    if (!hasRole(caller.role, access.role))
      return serverRefusal(name, caller, serverRefusals.roleTooLow(caller.role, access.role));
    if (access.mutates) {
      const rate = checkMutationRate(caller.userId);
      if (!rate.ok)
        return serverRefusal(name, caller, serverRefusals.tooManyChanges(rate.retryAfterSeconds), {
          retryAfterSeconds: rate.retryAfterSeconds,
        });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const fieldErrors: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path.join('.') || '_';
        (fieldErrors[key] ??= []).push(issue.message);
      }
      return { ...refused(serverRefusals.invalidRequest()), fieldErrors };
    }
    try {
      return await handler(parsed.data, { actor: actorOf(caller), caller });
    } catch (error) {
      if (isProviderError(error)) {
        // A provider failing under an action is an answer for the operator, in words; a refused change is audited like every refusal.
        const { code, message, ...extra } = providerRefusal(error);
        return access.mutates
          ? auditedRefusal(name, caller, code, message, extra)
          : { ok: false, code, message, ...extra };
      }
      console.error(`[action ${name}]`, error);
      return refused(serverRefusals.serverFault());
    }
  };
}
