import 'server-only';
import path from 'node:path';
import { z } from 'zod';
import { trustedProxiesSchema } from '@/lib/server/auth/source';
import { allowedOriginsSchema } from '@/lib/server/security/origins';

const port = z.coerce.number().int().min(1).max(65_535);

const projectList = z
  .string()
  .transform((raw) => [
    ...new Set(
      raw
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    ),
  ])
  .pipe(z.array(z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'not a GCE project id')).min(1, 'no project'));

function envSchema(cwd: string) {
  return z
    .object({
      QUORUM_PROVIDER: z.enum(['sandbox', 'gce']).default('sandbox'),
      /** The sandbox's Compute endpoint: http://127.0.0.1:<port>. */
      SANDBOX_PORT: port.default(8780),
      /** Port of the API-server stand-in on each sandbox replica's internal IP. */
      SANDBOX_APISERVER_PORT: port.default(443),
      /**
       * Projects whose clusters the fleet lists. Defaults to the sandbox's project with the sandbox; required
       * with QUORUM_PROVIDER=gce, where no project is a sensible default (see the refinement below).
       */
      QUORUM_PROJECTS: projectList.optional(),
      /** Absolute; a relative value is taken from the repo root, where every script and `next` run. */
      QUORUM_DATA_DIR: z
        .string()
        .min(1)
        .default('.quorum')
        .transform((dir) => path.resolve(cwd, dir)),
      /**
       * Deadline of one etcd or API-server probe while this server's probes answer quickly: the floor. It follows the
       * measured latency up (four times the 90th percentile of recent probes, lib/core/probe-deadline.ts) to
       * QUORUM_PROBE_TIMEOUT_MAX_MS, so a busy host's slow answers are not taken for silent replicas.
       */
      QUORUM_PROBE_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(500),
      QUORUM_PROBE_TIMEOUT_MAX_MS: z.coerce.number().int().min(50).max(60_000).default(4_000),
      /**
       * Deadline of one probe in the observation a change is planned on (preview and start). Longer than the
       * live view's: a healthy replica whose probe is merely slow would read as down and refuse an add.
       */
      QUORUM_PLAN_PROBE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(3_000),
      /** Deadline of one Compute Engine read. */
      QUORUM_COMPUTE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
      /**
       * Compute Engine API calls per second per GCE project (token buckets shared by every page, feed and
       * operation). A call finding the bucket empty waits for a token, up to QUORUM_COMPUTE_TIMEOUT_MS. Default
       * 20 with the sandbox, 4 on Compute Engine, where the clusters' own controllers share the project's quota.
       */
      QUORUM_COMPUTE_RATE_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
      /** Size of that bucket: how many Compute calls a project may make at once after a quiet spell (default 40; 8 on gce). */
      QUORUM_COMPUTE_BURST: z.coerce.number().int().min(1).max(100_000).optional(),
      /**
       * Requests per minute per project Quorum allows itself in each of Google's rate quota groups (reads, lists,
       * operation reads, mutations; Google's default is 1,500 each). Default 6000 with the sandbox, 300 on gce.
       */
      QUORUM_COMPUTE_QUOTA_PER_MINUTE: z.coerce.number().int().min(6).max(1_000_000).optional(),
      /** Share of the Compute rate reserved for running operations, whose calls never wait behind live views. */
      QUORUM_COMPUTE_OPERATION_SHARE: z.coerce.number().min(0).max(0.9).default(0.4),
      /**
       * How often live views read Compute Engine (project-wide lists, shared by every view of the project); etcd and
       * API-server probes keep their sub-second cadence. Quorum's own changes and chaos actions refresh at once.
       */
      QUORUM_COMPUTE_REFRESH_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
      /**
       * The longest any cluster goes unobserved while no page shows it (0: only while someone looks). The background
       * monitor observes each cluster nobody else observed within this period, so alerts and metrics follow the fleet.
       */
      QUORUM_MONITOR_INTERVAL_MS: z.coerce
        .number()
        .int()
        .min(0)
        .max(3_600_000)
        .refine((ms) => ms === 0 || ms >= 250, 'must be 0 (off) or at least 250')
        .default(5_000),
      /**
       * Bearer token GET /metrics requires (Prometheus' `authorization: { credentials: ... }`); without it /metrics is off.
       * Never echoed: a bad value is named, not shown.
       */
      QUORUM_METRICS_TOKEN: z
        .string()
        .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)')
        .max(512)
        .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
        .optional(),
      /** Mutating server actions (operations, chaos) each signed-in user may start per minute, on average. */
      QUORUM_ACTION_RATE_PER_MINUTE: z.coerce.number().positive().max(100_000).default(30),
      /** How many mutating actions a user may start in a row before the per-minute rate applies. */
      QUORUM_ACTION_BURST: z.coerce.number().int().min(1).max(10_000).default(10),
      /**
       * Plan previews (a change's, a new cluster's) each signed-in user may ask for per minute, on average, after a
       * burst of QUORUM_PREVIEW_BURST: a preview plans on a fresh read of Compute, so it costs quota like a change.
       */
      QUORUM_PREVIEW_RATE_PER_MINUTE: z.coerce.number().positive().max(100_000).default(30),
      QUORUM_PREVIEW_BURST: z.coerce.number().int().min(1).max(10_000).default(10),
      /** Live streams (cluster, fleet, operation pages) one signed-in user may hold open at once. */
      QUORUM_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(12),
      /**
       * How long a new forwarding rule is expected to take to forward, for the progress bar and ETA of the
       * "wait until the cluster address answers" step. Default: 20 (the sandbox's default SANDBOX_LB_DELAY_MS)
       * with the sandbox, 1200 on Compute Engine (reference/ha-masters.md).
       */
      QUORUM_LB_PROPAGATION_SECONDS: z.coerce.number().int().min(1).max(7_200).optional(),
      /** Verified etcd snapshots kept per cluster and etcd cluster (main, events) in <QUORUM_DATA_DIR>/snapshots; older ones are deleted. */
      QUORUM_SNAPSHOT_RETENTION: z.coerce.number().int().min(1).max(1_000).default(5),
      /** The etcdctl (3.4 or later) that verifies snapshots (`snapshot status`): a name on PATH or a path. */
      QUORUM_ETCDCTL: z.string().min(1).default('etcdctl'),
      /**
       * Origins besides the dashboard's own that may send mutating requests (server actions, any non-GET), as
       * `https://host[:port]`, comma-separated: the public name of a reverse proxy in front of the dashboard.
       * proxy.ts refuses every other Origin with 403; next.config.js gives Next's own server-action check the same list.
       */
      QUORUM_ALLOWED_ORIGINS: allowedOriginsSchema.default([]),
      /**
       * Reverse proxies in front of the dashboard, as addresses or CIDR ranges, comma-separated (default none).
       * Only a request whose socket peer is one of them has its X-Forwarded-For read (right to left, trusted hops
       * skipped); every other request's client address is its socket's. The sign-in limit and the audit use it.
       */
      QUORUM_TRUSTED_PROXIES: trustedProxiesSchema.default([]),
      /**
       * Which address of a master Quorum dials on port 22: `internal` when the dashboard runs inside the VPC (as
       * the sandbox's dashboard host does), `external` when it runs outside and reaches masters over the internet.
       */
      QUORUM_SSH_ADDRESS: z.enum(['internal', 'external']).default('internal'),
      /** The Linux user Quorum's key is published for in `ssh-keys` (the guest agent creates it). */
      QUORUM_SSH_USER: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name (lower case, at most 32 characters)')
        .default('quorum'),
      /** Deadline of one SSH connect (TCP, handshake, login) and of one channel open: a silent port 22 reads as no access this fast. */
      QUORUM_SSH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
      /**
       * How often Quorum logs in afresh to each replica it holds an SSH connection to: sshd keeps an authenticated
       * session alive after its key is removed or its host key replaced, so without this check the access problem
       * would stay hidden until the next reconnect. A refused login is shown at once and the key published again.
       */
      QUORUM_SSH_LOGIN_CHECK_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
      /** How long Quorum's published key is valid (its `expireOn`); it is renewed when a quarter of that is left. */
      QUORUM_SSH_KEY_TTL_HOURS: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 365)
        .default(24),
      /**
       * Crash tests only, sandbox only: `<step index>:<phase>` (phase before-step, step-returned or
       * after-step): the server kills itself with SIGKILL when an operation's runner reaches that point; or
       * `after-insert-sent`: it does so right after Compute accepted an instances.insert, before its Operation is read.
       */
      QUORUM_FAILPOINT: z
        .string()
        .regex(
          /^(\d{1,3}:(before-step|step-returned|after-step)|after-insert-sent)$/,
          'must be <step index>:<before-step|step-returned|after-step> or after-insert-sent',
        )
        .optional(),
    })
    .refine((e) => e.QUORUM_FAILPOINT === undefined || e.QUORUM_PROVIDER === 'sandbox', {
      path: ['QUORUM_FAILPOINT'],
      message: 'is for crash tests against the sandbox; it is refused with QUORUM_PROVIDER=gce',
    })
    .refine((e) => e.QUORUM_PROJECTS !== undefined || e.QUORUM_PROVIDER === 'sandbox', {
      path: ['QUORUM_PROJECTS'],
      message:
        'is required with QUORUM_PROVIDER=gce: the comma-separated GCE project ids whose clusters Quorum lists (e.g. QUORUM_PROJECTS=my-project-1,my-project-2)',
    })
    .transform((e) => {
      const gce = e.QUORUM_PROVIDER === 'gce';
      return {
        ...e,
        QUORUM_PROJECTS: e.QUORUM_PROJECTS ?? ['sandbox-project'],
        QUORUM_COMPUTE_RATE_PER_SECOND: e.QUORUM_COMPUTE_RATE_PER_SECOND ?? (gce ? 4 : 20),
        QUORUM_COMPUTE_BURST: e.QUORUM_COMPUTE_BURST ?? (gce ? 8 : 40),
        QUORUM_COMPUTE_QUOTA_PER_MINUTE: e.QUORUM_COMPUTE_QUOTA_PER_MINUTE ?? (gce ? 300 : 6_000),
      };
    });
}

export type Env = z.output<ReturnType<typeof envSchema>>;

/** Parses an environment; throws one readable error naming every bad variable (never echoing values). */
export function parseEnv(source: Record<string, string | undefined>, cwd: string = process.cwd()): Env {
  // An empty variable means "not set", as with `VAR= npm run dev`.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema(cwd).safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid Quorum server environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The server's environment, parsed once when the server first imports this module. */
export const env: Env = parseEnv(process.env);
