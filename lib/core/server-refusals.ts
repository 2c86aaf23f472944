// The refusals the server gives before or beside the planner (who calls, how often, a plan that changed since its
// preview), each with the params that word it in the reader's language (messages/<locale>/plans.json,
// `serverRefusals.<code>`). The English sentence stays the record: the audit log keeps it.
import type { PlanParams } from './planner';
import { ROLE_DUTIES, type Role } from './roles';

export type ServerRefusal = {
  code: 'Unauthenticated' | 'PasswordChangeRequired' | 'Forbidden' | 'RateLimited' | 'PlanChanged';
  message: string;
  params: PlanParams;
};

export const serverRefusals = {
  signInFirst: (): ServerRefusal => ({
    code: 'Unauthenticated',
    message: 'Sign in first; nothing was changed.',
    params: {},
  }),
  passwordChangeRequired: (): ServerRefusal => ({
    code: 'PasswordChangeRequired',
    message: 'Set a password of your own first (on your account page); nothing was changed.',
    params: {},
  }),
  /** The caller's role is below the one the action takes. */
  roleTooLow: (role: Role, needed: Role): ServerRefusal => ({
    code: 'Forbidden',
    message: `Your role (${role}) may not do this: it takes the ${needed} role, which ${ROLE_DUTIES[needed]}. Nothing was changed; ask an admin.`,
    params: { variant: 'role', role, needed },
  }),
  /** A change run past a missing verified backup: only an admin may. */
  backupOverrideNeedsAdmin: (): ServerRefusal => ({
    code: 'Forbidden',
    message:
      'Running a change without a verified backup takes the admin role; nothing was changed. Ask an admin, or fix the backup and run it again.',
    params: { variant: 'backupOverride' },
  }),
  tooManyChanges: (retryAfterSeconds: number): ServerRefusal => ({
    code: 'RateLimited',
    message: `Too many changes in a short time; nothing was changed. Try again in ${retryAfterSeconds} s.`,
    params: { what: 'changes', retryAfterSeconds },
  }),
  tooManyPreviews: (retryAfterSeconds: number): ServerRefusal => ({
    code: 'RateLimited',
    message: `Too many plan previews in a short time; try again in ${retryAfterSeconds} s.`,
    params: { what: 'previews', retryAfterSeconds },
  }),
  /**
   * `summary`: the new plan's summary, for the record. The page shows the new plan itself in place of the old, so its
   * words (`serverRefusals.PlanChanged`) leave the summary out.
   */
  planChanged: (summary: string): ServerRefusal => ({
    code: 'PlanChanged',
    message: `The cluster changed since the preview, so the plan did too (now: ${summary}). Nothing ran: review the new plan and confirm again.`,
    params: {},
  }),
};
