import 'server-only';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { getMigrations } from 'better-auth/db/migration';
import { nextCookies } from 'better-auth/next-js';
import { admin } from 'better-auth/plugins';
import { z } from 'zod';
import { storePathIn } from '@/lib/adapters/store/sqlite-store';
import { KeyedLimiter } from '@/lib/core/rate-limit';
import { container } from '@/lib/server/container';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from '@/lib/core/password-policy';
import { afterAuthEndpoint, beforeAuthEndpoint, type HookCtx } from './auth-hooks';
import { CLIENT_ADDRESS_HEADER } from './source';

// Sign-in (issue 5) with better-auth on the project's store: its tables (user, session, account,
// verification) live in the same SQLite file as the journal. Email and password with the library's hashing
// (scrypt); no self-service sign-up: an admin creates accounts. Google sign-in when GOOGLE_CLIENT_ID and
// GOOGLE_CLIENT_SECRET are set, for accounts an admin created (no implicit sign-up). Session cookies are
// httpOnly and SameSite=Lax, and Secure when QUORUM_BASE_URL is https.

const authEnvSchema = z.object({
  /** At least 32 characters; default: a random secret kept in <data dir>/auth-secret (0600). */
  QUORUM_AUTH_SECRET: z.string().min(32).optional(),
  /** The dashboard's public URL (https in production): cookies are Secure when it is https. */
  QUORUM_BASE_URL: z.url().optional(),
  /** The bootstrap admin's email. */
  QUORUM_ADMIN_EMAIL: z.email().default('admin@quorum.local'),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  /** Sign-in attempts per minute, per client address and per account. */
  QUORUM_SIGN_IN_PER_MINUTE: z.coerce.number().int().min(1).max(1_000).default(5),
});
export type AuthEnv = z.output<typeof authEnvSchema>;

export function authEnv(): AuthEnv {
  return authEnvSchema.parse(process.env);
}

/** The secret that signs session cookies: from the environment, else generated once into the data dir. */
function secretOf(env: AuthEnv, dataDir: string): string {
  if (env.QUORUM_AUTH_SECRET) return env.QUORUM_AUTH_SECRET;
  const file = path.join(dataDir, 'auth-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** The origin the request was sent to, from its Host header (Next's request.url names localhost). */
function requestOrigin(request: Request): string | null {
  const host = request.headers.get('host');
  if (!host) return null;
  const proto =
    request.headers.get('x-forwarded-proto') === 'https' || new URL(request.url).protocol === 'https:'
      ? 'https'
      : 'http';
  return `${proto}://${host}`;
}

function createAuth(dataDir: string, env: AuthEnv, allowedOrigins: readonly string[]) {
  // The store's file, created 0600 like the store creates it (whichever opens it first).
  const file = storePathIn(dataDir);
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  const secure = env.QUORUM_BASE_URL?.startsWith('https://') ?? false;
  // Sign-in attempts per account as well as per address (better-auth's own limit): guessing one account's
  // password from many addresses is slowed down too.
  const perAccount = new KeyedLimiter({
    capacity: env.QUORUM_SIGN_IN_PER_MINUTE,
    refillPerSecond: env.QUORUM_SIGN_IN_PER_MINUTE / 60,
  });
  const google =
    env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET
      ? {
          google: {
            clientId: env.GOOGLE_CLIENT_ID,
            clientSecret: env.GOOGLE_CLIENT_SECRET,
            disableImplicitSignUp: true,
          },
        }
      : {};
  return betterAuth({
    appName: 'Quorum',
    secret: secretOf(env, dataDir),
    ...(env.QUORUM_BASE_URL ? { baseURL: env.QUORUM_BASE_URL } : {}),
    database: db,
    // Same-origin by default (the origin the request came to, as Next checks server actions), plus the
    // configured public URL and QUORUM_ALLOWED_ORIGINS: sign-in from any other page is refused.
    trustedOrigins: (request?: Request) => [...(request ? [requestOrigin(request)] : []), ...allowedOrigins],
    // The rest of the password policy (not the email, not guessable: zxcvbn-ts) is checked in the before hook.
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
    },
    // Set on the bootstrap admin: every page sends them to /account until they have set a password of their own.
    user: {
      additionalFields: { mustChangePassword: { type: 'boolean', required: false, defaultValue: false, input: false } },
    },
    socialProviders: google,
    session: { expiresIn: 60 * 60 * 12, updateAge: 60 * 60 },
    // viewer by default; only 'admin' may use the admin plugin's own endpoints (Quorum's user actions check too).
    plugins: [admin({ defaultRole: 'viewer', adminRoles: ['admin'] }), nextCookies()],
    rateLimit: {
      enabled: true,
      storage: 'memory',
      window: 60,
      max: 120,
      customRules: {
        '/sign-in/email': { window: 60, max: env.QUORUM_SIGN_IN_PER_MINUTE },
        '/sign-in/social': { window: 60, max: env.QUORUM_SIGN_IN_PER_MINUTE },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email') return beforeAuthEndpoint(ctx as unknown as HookCtx);
        const body: unknown = ctx.body;
        const email =
          typeof body === 'object' && body !== null && 'email' in body && typeof body.email === 'string'
            ? body.email.trim().toLowerCase()
            : '';
        const taken = perAccount.take(email, performance.now());
        if (taken.ok) return;
        const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
        throw new APIError(
          'TOO_MANY_REQUESTS',
          { message: `Too many sign-in attempts for this account: try again in ${seconds} s.` },
          { 'X-Retry-After': String(seconds) },
        );
      }),
      after: createAuthMiddleware(async (ctx) => {
        await afterAuthEndpoint(ctx as unknown as HookCtx);
      }),
    },
    advanced: {
      useSecureCookies: secure,
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax', secure },
      // The per-address limit keys on the address the server stamped on the request (lib/server/auth/source.ts:
      // the socket peer; X-Forwarded-For only from QUORUM_TRUSTED_PROXIES), never on a header a client sets.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;

const KEY = Symbol.for('quorum.server.auth');
type Holder = { [KEY]?: { auth: Auth; ready: Promise<void> } };

/** One instance per server process, its tables migrated before first use. */
async function authHolder(): Promise<{ auth: Auth; ready: Promise<void> }> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const dataDir = container().env.QUORUM_DATA_DIR;
    const auth = createAuth(dataDir, authEnv(), container().env.QUORUM_ALLOWED_ORIGINS);
    const ready = getMigrations(auth.options).then(({ runMigrations }) => runMigrations());
    holder[KEY] = { auth, ready };
  }
  return holder[KEY];
}

export async function getAuth(): Promise<Auth> {
  const { auth, ready } = await authHolder();
  await ready;
  return auth;
}

/** The file the bootstrap admin's one-time password is written to (0600), next to the store. */
export function bootstrapPasswordFile(dataDir: string): string {
  return path.join(dataDir, 'initial-admin-password');
}

/**
 * On the first start (no user at all), creates the admin account with a random one-time password (checked
 * against the password policy like any other), writes it to a 0600 file in the data dir and prints where that
 * file is, never the password (console output ends up in logs). There is no default password anywhere. The
 * account must set a password of its own at its first sign-in (mustChangePassword).
 */
export async function ensureBootstrapAdmin(log: (line: string) => void = console.log): Promise<void> {
  const auth = await getAuth();
  const ctx = await auth.$context;
  const users = await ctx.adapter.count({ model: 'user' });
  if (users > 0) return;
  const env = authEnv();
  let password = randomBytes(18).toString('base64url');
  while (passwordProblem(password, { email: env.QUORUM_ADMIN_EMAIL, name: 'Administrator' }) !== null)
    password = randomBytes(18).toString('base64url');
  const created = await auth.api.createUser({
    body: { email: env.QUORUM_ADMIN_EMAIL, password, name: 'Administrator', role: 'admin' },
  });
  await ctx.internalAdapter.updateUser(created.user.id, { mustChangePassword: true });
  const file = bootstrapPasswordFile(container().env.QUORUM_DATA_DIR);
  writeFileSync(file, `email: ${env.QUORUM_ADMIN_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });
  log(
    [
      '',
      '==================== Quorum: first start ====================',
      `  Admin account: ${env.QUORUM_ADMIN_EMAIL}`,
      `  Its one-time password is in ${file} (mode 0600).`,
      '  Sign in with it, set a new password (Quorum asks for one), then delete that file.',
      '=============================================================',
      '',
    ].join('\n'),
  );
}
