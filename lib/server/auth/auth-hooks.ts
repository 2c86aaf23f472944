import 'server-only';
import { APIError, getSessionFromCtx, isAPIError } from 'better-auth/api';
import type { JsonValue } from '@/lib/ports/store';
import { passwordProblemOf, type PasswordProblem } from '@/lib/core/password-policy';
import { serverRefusals } from '@/lib/core/server-refusals';
import { container } from '@/lib/server/container';
import { sourceOf } from './source';

// What Quorum adds to better-auth's own endpoints (issue 12, findings 6, 9, 12, 13): every new password is
// checked against the password policy, whoever sets it (an admin creating an account or setting one, a user
// changing theirs); the last admin cannot be banned, removed or demoted through the admin plugin's endpoints
// either; and failed sign-ins, profile changes, password changes and the admin plugin's account changes are
// audited with who and from where.

/** The slice of better-auth's hook context these hooks read (typed loosely: better-auth's own type is generic). */
export type HookCtx = {
  path: string;
  body?: unknown;
  headers?: Headers;
  request?: Request;
  context: {
    returned?: unknown;
    internalAdapter: {
      findUserById(id: string): Promise<{ id: string; email: string; name: string } | null>;
      listUsers(limit?: number, offset?: number): Promise<{ id: string; email: string }[]>;
      updateUser(id: string, data: Record<string, unknown>): Promise<unknown>;
    };
  };
};

/** The signed-in user as the before hook found them, for the after hook (a password change may end that session). */
type Previous = { quorumPrevious?: { id: string; email: string; name: string } };

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null || !(key in body)) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function headersOf(ctx: HookCtx): Headers {
  return ctx.headers ?? ctx.request?.headers ?? new Headers();
}

async function audit(
  ctx: HookCtx,
  actor: string,
  action: string,
  outcome: 'succeeded' | 'refused' | 'failed',
  detail: JsonValue,
): Promise<void> {
  try {
    await container().store.addAudit({
      actor,
      source: ctx.request || ctx.headers ? sourceOf(headersOf(ctx)) : null,
      action,
      outcome,
      detail,
    });
  } catch (error) {
    console.error(`[auth] could not audit ${action}`, error);
  }
}

/** Refuses a weak password; `params` word it on the page (serverRefusals.weakPassword). */
function weak(problem: PasswordProblem): never {
  const refusal = serverRefusals.weakPassword(problem);
  throw new APIError('BAD_REQUEST', { message: refusal.message, code: 'WEAK_PASSWORD', params: refusal.params });
}

/** Admins among the accounts, not banned. */
export async function activeAdminIds(adapter: HookCtx['context']['internalAdapter']): Promise<string[]> {
  const users = (await adapter.listUsers(10_000, 0)) as { id: string; role?: unknown; banned?: unknown }[];
  return users.filter((u) => u.role === 'admin' && u.banned !== true).map((u) => u.id);
}

/** Whether taking `userId` out of the admins (ban, removal, another role) would leave no active admin. */
export async function isLastAdmin(adapter: HookCtx['context']['internalAdapter'], userId: string): Promise<boolean> {
  const admins = await activeAdminIds(adapter);
  return admins.length <= 1 && admins.includes(userId);
}

async function sessionUser(ctx: HookCtx): Promise<{ id: string; email: string; name: string } | null> {
  const session = (await getSessionFromCtx(ctx as never).catch(() => null)) as {
    user?: { id: string; email: string; name: string };
  } | null;
  return session?.user ? { id: session.user.id, email: session.user.email, name: session.user.name } : null;
}

/** Before an endpoint runs: the password policy and the last-admin rule. Throws an APIError to refuse. */
export async function beforeAuthEndpoint(ctx: HookCtx): Promise<{ context: Previous } | undefined> {
  const adapter = ctx.context.internalAdapter;
  switch (ctx.path) {
    case '/admin/create-user': {
      const problem = passwordProblemOf(field(ctx.body, 'password') ?? '', {
        email: field(ctx.body, 'email'),
        name: field(ctx.body, 'name'),
      });
      if (problem) weak(problem);
      return undefined;
    }
    case '/admin/set-user-password': {
      const user = await adapter.findUserById(field(ctx.body, 'userId') ?? '');
      const problem = passwordProblemOf(field(ctx.body, 'newPassword') ?? '', { email: user?.email, name: user?.name });
      if (problem) weak(problem);
      return undefined;
    }
    case '/change-password': {
      const user = await sessionUser(ctx);
      const problem = passwordProblemOf(field(ctx.body, 'newPassword') ?? '', { email: user?.email, name: user?.name });
      if (problem) {
        if (user)
          await audit(ctx, user.email, 'user.change-password', 'refused', {
            code: 'WeakPassword',
            message: serverRefusals.weakPassword(problem).message,
          });
        weak(problem);
      }
      // With revokeOtherSessions the request's own session is replaced: the after hook gets the user from here.
      return user ? { context: { quorumPrevious: user } } : undefined;
    }
    case '/admin/ban-user':
    case '/admin/remove-user':
    case '/admin/set-role': {
      const userId = field(ctx.body, 'userId') ?? '';
      if (ctx.path === '/admin/set-role' && field(ctx.body, 'role') === 'admin') return undefined;
      if (await isLastAdmin(adapter, userId)) {
        throw new APIError('BAD_REQUEST', {
          message: 'This is the last admin; make another account admin first. Nothing was changed.',
          code: 'LAST_ADMIN',
        });
      }
      return undefined;
    }
    case '/update-user': {
      const user = await sessionUser(ctx);
      // Carried to the after hook in the endpoint's context (better-auth merges a returned `context`).
      return user ? { context: { quorumPrevious: user } } : undefined;
    }
    default:
      return undefined;
  }
}

function failure(returned: unknown): { code: string; message: string } | null {
  if (isAPIError(returned)) {
    const body = (returned.body ?? {}) as { code?: unknown; message?: unknown };
    return {
      code: typeof body.code === 'string' ? body.code : String(returned.status),
      message: typeof body.message === 'string' ? body.message : returned.message,
    };
  }
  if (returned instanceof Response && !returned.ok)
    return { code: String(returned.status), message: returned.statusText };
  return null;
}

/** After an endpoint ran: the audit rows for sign-in failures, profile, password and account changes. */
export async function afterAuthEndpoint(ctx: HookCtx & Previous): Promise<void> {
  const failed = failure(ctx.context.returned);
  if (ctx.path === '/sign-in/email' || ctx.path === '/sign-in/social') {
    // A failed sign-in is an anonymous refusal: the email tried is in the detail, never the password.
    if (failed)
      await audit(ctx, 'anonymous', 'auth.sign-in', 'refused', {
        email: (field(ctx.body, 'email') ?? '').slice(0, 254),
        code: failed.code,
        message: failed.message,
      });
    return;
  }
  if (ctx.path === '/update-user') {
    const previous = ctx.quorumPrevious;
    if (!previous) return;
    const next: Record<string, string> = {};
    for (const key of ['name', 'image'] as const) {
      const value = field(ctx.body, key);
      if (value !== undefined) next[key] = value.slice(0, 200);
    }
    await audit(ctx, previous.email, 'user.update-profile', failed ? 'refused' : 'succeeded', {
      from: { name: previous.name },
      to: next,
      ...(failed ?? {}),
    });
    return;
  }
  if (ctx.path === '/change-password') {
    const user = ctx.quorumPrevious;
    if (!user) return;
    // The bootstrap admin's one-time password is gone: the redirect to /account ends.
    if (!failed) await ctx.context.internalAdapter.updateUser(user.id, { mustChangePassword: false });
    await audit(ctx, user.email, 'user.change-password', failed ? 'refused' : 'succeeded', failed ?? null);
    return;
  }
  if (
    ctx.path.startsWith('/admin/') &&
    ctx.path !== '/admin/list-users' &&
    ctx.path !== '/admin/has-permission' &&
    ctx.request
  ) {
    // The admin plugin's endpoints called over HTTP (Quorum's own user actions audit themselves).
    const session = await getSessionFromCtx(ctx as never).catch(() => null);
    const actor = (session as { user?: { email: string } } | null)?.user?.email ?? 'anonymous';
    const detail: Record<string, string> = { endpoint: ctx.path };
    for (const key of ['userId', 'email', 'role']) {
      const value = field(ctx.body, key);
      if (value !== undefined) detail[key] = value.slice(0, 254);
    }
    await audit(ctx, actor, `user.admin.${ctx.path.slice('/admin/'.length)}`, failed ? 'refused' : 'succeeded', {
      ...detail,
      ...(failed ?? {}),
    });
  }
}
