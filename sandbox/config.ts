// The sandbox process's environment, parsed once at the edge.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseDeniedPermissions } from './compute/iam';
import { TWIN_MAX_NET, TWIN_MIN_NET } from './compute/ip-plan';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const ms = (fallback: number) => z.coerce.number().int().min(0).max(3_600_000).default(fallback);

const envSchema = z.object({
  /** Compute endpoint, metadata server and controls: http://127.0.0.1:<port>. */
  SANDBOX_PORT: z.coerce.number().int().min(1).max(65_535).default(8780),
  /** Default `.quorum` at the repo root; a relative value is taken from the working directory. */
  QUORUM_DATA_DIR: z.string().min(1).optional(),
  /** N of the IP plan (1-127): today 127.N.<region>.0/24 and 127.(N+1).x.y; on the twin the /22 at 198.18.0.0 + N * 1024 (ip-plan.ts). */
  SANDBOX_NET: z.coerce.number().int().min(TWIN_MIN_NET).max(TWIN_MAX_NET).default(10),
  /** Time from a mutating call to its Operation going DONE. */
  SANDBOX_OP_DELAY_MS: ms(300),
  /** Time from an instance reaching RUNNING to its VM agent being booted. */
  SANDBOX_BOOT_DELAY_MS: ms(0),
  /** Time from a forwarding rule's insert being DONE to it forwarding; stands in for GCE's ~20 min. */
  SANDBOX_LB_DELAY_MS: ms(20_000),
  /** `1` logs one line per request. */
  SANDBOX_LOG: z.enum(['0', '1', 'true', 'false']).default('0'),
  /** Permissions the caller lacks at start (comma list; POST /sandbox/v1/chaos/iam changes it later): see compute/iam.ts. */
  SANDBOX_DENIED_PERMISSIONS: z
    .string()
    .regex(/^[\sa-zA-Z0-9.,]*$/, 'a comma list of permissions')
    .optional(),
});

export type SandboxConfig = {
  host: '127.0.0.1';
  port: number;
  dataDir: string;
  /** `<dataDir>/sandbox`: state.json and disks/. */
  sandboxDir: string;
  net: number;
  opDelayMs: number;
  bootDelayMs: number;
  lbDelayMs: number;
  verbose: boolean;
  deniedPermissions: string[];
};

/** Throws one readable error naming every bad variable. Empty variables count as unset. */
export function loadSandboxConfig(
  source: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): SandboxConfig {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid sandbox environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const dataDir = env.QUORUM_DATA_DIR ? path.resolve(cwd, env.QUORUM_DATA_DIR) : path.join(REPO_ROOT, '.quorum');
  return {
    host: '127.0.0.1',
    port: env.SANDBOX_PORT,
    dataDir,
    sandboxDir: path.join(dataDir, 'sandbox'),
    net: env.SANDBOX_NET,
    opDelayMs: env.SANDBOX_OP_DELAY_MS,
    bootDelayMs: env.SANDBOX_BOOT_DELAY_MS,
    lbDelayMs: env.SANDBOX_LB_DELAY_MS,
    verbose: env.SANDBOX_LOG === '1' || env.SANDBOX_LOG === 'true',
    deniedPermissions: parseDeniedPermissions(env.SANDBOX_DENIED_PERMISSIONS),
  };
}
