// Who may do what (issue 5). Pure. Roles are ordered: each one may do everything the one before it may.
//   viewer    reads every page, feed and plan preview
//   operator  runs operations (add, remove, replace, rebalance, scale, create, cancel) and, in the sandbox, chaos
//   admin     manages users and settings, and overrides safety gates (a backup-gate override)
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` includes the rights of `needed`. */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The signed-in user behind a request, as actions, route handlers and pages see them. */
export type Caller = {
  userId: string;
  email: string;
  name: string;
  role: Role;
  /** Where the request came from: its client address (lib/server/auth/source.ts) or 'unknown'. For the audit log. */
  source: string;
  /** The account still has its one-time password (the bootstrap admin): it must set its own before anything else. */
  mustChangePassword?: boolean;
};

/** The actor name written to the journal and the audit log. */
export function actorOf(caller: Caller): string {
  return caller.email;
}

export const ROLE_DUTIES: Record<Role, string> = {
  viewer: 'sees every cluster, operation and plan, and changes nothing',
  operator: 'also runs operations on clusters (and chaos controls in the sandbox)',
  admin: 'also manages users and settings, and may override safety gates',
};

/** An account as the users page lists it (no secret: the password hash stays in the store). */
export type Account = { id: string; email: string; name: string; role: Role; createdAt: string; banned: boolean };
