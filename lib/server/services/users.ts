import 'server-only';
import { APIError } from 'better-auth/api';
import { ok, refused, type Result } from '@/lib/core/errors';
import { passwordProblemOf } from '@/lib/core/password-policy';
import { serverRefusals, type ServerRefusal } from '@/lib/core/server-refusals';
import { isRole, type Account, type Caller, type Role } from '@/lib/core/roles';
import { getAuth } from '@/lib/server/auth/auth';
import { isLastAdmin, type HookCtx } from '@/lib/server/auth/auth-hooks';
import { container } from '@/lib/server/container';
import { refusalDetail, type AuditJson } from '@/lib/core/audit';

export type UserRow = Account;

/** Every account, oldest first (the bootstrap admin on top). */
export async function listUsers(): Promise<UserRow[]> {
  const ctx = await (await getAuth()).$context;
  const users = await ctx.internalAdapter.listUsers(500, 0, { field: 'createdAt', direction: 'asc' });
  return users.map((u) => {
    const extra = u as typeof u & { role?: unknown; banned?: unknown };
    return {
      id: u.id,
      email: u.email,
      name: u.name,
      role: isRole(extra.role) ? extra.role : 'viewer',
      createdAt: new Date(u.createdAt).toISOString(),
      banned: extra.banned === true,
    };
  });
}

/** An account an admin creates, with a password the admin hands over (better-auth hashes it with scrypt). */
export async function createUser(
  input: { email: string; name: string; role: Role; password: string },
  caller: Caller,
): Promise<Result<{ id: string }>> {
  const auth = await getAuth();
  const audit = (outcome: 'succeeded' | 'refused', detail: { [key: string]: AuditJson }) =>
    container().store.addAudit({
      actor: caller.email,
      source: caller.source,
      action: 'user.create',
      outcome,
      detail: { email: input.email, role: input.role, ...detail },
    });
  const refuse = async (refusal: ServerRefusal) => {
    await audit('refused', refusalDetail(refusal));
    return refused<{ id: string }>(refusal);
  };
  const weak = passwordProblemOf(input.password, { email: input.email, name: input.name });
  if (weak) return refuse(serverRefusals.weakPassword(weak));
  try {
    // Created with the default role (viewer), then given its role: better-auth's types know only 'user' and 'admin'.
    const created = await auth.api.createUser({
      body: { email: input.email, name: input.name, password: input.password },
    });
    if (input.role !== 'viewer')
      await (await auth.$context).internalAdapter.updateUser(created.user.id, { role: input.role });
    await audit('succeeded', {});
    return ok({ id: created.user.id });
  } catch (error) {
    if (error instanceof APIError)
      return refuse(
        /exist/i.test(error.message)
          ? serverRefusals.accountExists(input.email)
          : serverRefusals.accountRefused(error.message),
      );
    throw error;
  }
}

/** Changes an account's role; the last admin cannot be demoted (nobody could manage users after). */
export async function setUserRole(userId: string, role: Role, caller: Caller): Promise<Result<{ id: string }>> {
  const users = await listUsers();
  const target = users.find((u) => u.id === userId);
  const audit = (outcome: 'succeeded' | 'refused', detail: { [key: string]: AuditJson }) =>
    container().store.addAudit({
      actor: caller.email,
      source: caller.source,
      action: 'user.set-role',
      outcome,
      detail: { userId, email: target?.email ?? '', role, ...detail },
    });
  if (!target) return refused(serverRefusals.noSuchAccount());
  if (target.role === 'admin' && role !== 'admin' && users.filter((u) => u.role === 'admin' && !u.banned).length <= 1) {
    const last = serverRefusals.lastAdmin(target.email);
    await audit('refused', refusalDetail(last));
    return refused<{ id: string }>(last);
  }
  const ctx = await (await getAuth()).$context;
  await ctx.internalAdapter.updateUser(userId, { role });
  await audit('succeeded', { from: target.role });
  return ok({ id: userId });
}

type AccountChange = 'disable' | 'enable' | 'delete';

/**
 * An admin disables, enables or deletes an account (issue 12, finding 13). Disabling bans the account in
 * better-auth (it can no longer sign in) and deletes its sessions, so every page, action and live stream of
 * that user ends at once; deleting removes the account with its sessions and sign-in methods. The last active
 * admin can be neither, and an admin cannot disable or delete their own account (another admin must).
 * Audited either way (`user.disable`, `user.enable`, `user.delete`).
 */
export async function changeAccount(
  userId: string,
  change: AccountChange,
  caller: Caller,
): Promise<Result<{ id: string }>> {
  const ctx = await (await getAuth()).$context;
  const users = await listUsers();
  const target = users.find((u) => u.id === userId);
  const audit = (outcome: 'succeeded' | 'refused', detail: { [key: string]: AuditJson }) =>
    container().store.addAudit({
      actor: caller.email,
      source: caller.source,
      action: `user.${change}`,
      outcome,
      detail: { userId, email: target?.email ?? '', ...detail },
    });
  const refuse = async (refusal: ServerRefusal) => {
    await audit('refused', refusalDetail(refusal));
    return refused<{ id: string }>(refusal);
  };
  if (!target) return refuse(serverRefusals.noSuchAccount());
  if (change !== 'enable' && target.id === caller.userId) return refuse(serverRefusals.ownAccount(change));
  if (
    change !== 'enable' &&
    target.role === 'admin' &&
    (await isLastAdmin(ctx.internalAdapter as unknown as HookCtx['context']['internalAdapter'], userId))
  ) {
    return refuse(serverRefusals.lastAdmin(target.email));
  }
  switch (change) {
    case 'disable':
      await ctx.internalAdapter.updateUser(userId, { banned: true, banReason: `disabled by ${caller.email}` });
      // Sessions end now, not at their expiry: every request, action and stream of that user is refused from here.
      await ctx.internalAdapter.deleteUserSessions(userId);
      break;
    case 'enable':
      await ctx.internalAdapter.updateUser(userId, { banned: false, banReason: null });
      break;
    case 'delete':
      await ctx.internalAdapter.deleteUser(userId);
      break;
  }
  await audit('succeeded', { role: target.role });
  return ok({ id: userId });
}
