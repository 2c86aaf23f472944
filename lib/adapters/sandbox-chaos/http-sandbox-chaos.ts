import 'server-only';
import { z } from 'zod';
import type { ChaosInstance, ChaosReplicaAction, ChaosState } from '@/lib/core/chaos';
import { ProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';
import type { ChaosTarget, SandboxChaosPort } from '@/lib/ports/sandbox-chaos';

// The sandbox's /sandbox/v1/chaos endpoints over plain HTTP (sandbox/README.md). Answers are parsed with
// zod; errors come in Compute's error JSON and become ProviderErrors.

const etcdProcess = z.enum(['running', 'killed', 'absent']);
const instanceSchema = z.object({
  project: z.string(),
  zone: z.string(),
  name: z.string(),
  status: z.string(),
  vmState: z.enum(['booting', 'running', 'stopped', 'failed']),
  frozen: z.boolean(),
  zoneDown: z.boolean(),
  etcd: z.object({ main: etcdProcess, events: etcdProcess }),
  sshd: z.boolean(),
});
const stateSchema = z.object({ zonesDown: z.array(z.string()), instances: z.array(instanceSchema) });
const errorSchema = z.object({
  error: z.object({
    code: z.number(),
    message: z.string(),
    errors: z.array(z.object({ reason: z.string() })).optional(),
  }),
});

const PATH: Record<ChaosReplicaAction['kind'], string> = {
  'stop-vm': 'stop',
  'kill-etcd': 'kill-etcd',
  freeze: 'freeze',
  unfreeze: 'unfreeze',
  restore: 'restore',
};

function codeOf(status: number): ProviderErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 400 || status === 409 || status === 412) return 'Conflict';
  if (status === 503) return 'ProviderUnavailable';
  return 'Unknown';
}

export class HttpSandboxChaos implements SandboxChaosPort {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  state(): Promise<ChaosState> {
    return this.call('GET', '/sandbox/v1/chaos', undefined, stateSchema);
  }

  actOnReplica(target: ChaosTarget, action: ChaosReplicaAction): Promise<ChaosInstance> {
    const path = `/sandbox/v1/chaos/projects/${enc(target.project)}/zones/${enc(target.zone)}/instances/${enc(target.name)}/${PATH[action.kind]}`;
    return this.call('POST', path, action.kind === 'kill-etcd' ? { cluster: action.etcd } : undefined, instanceSchema);
  }

  setZoneDown(zone: string, down: boolean): Promise<ChaosState> {
    return this.call('POST', `/sandbox/v1/chaos/zones/${enc(zone)}/${down ? 'down' : 'up'}`, undefined, stateSchema);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const timedOut = e instanceof Error && e.name === 'TimeoutError';
      throw new ProviderError(
        timedOut ? 'Timeout' : 'ProviderUnavailable',
        `The sandbox's chaos controls at ${this.baseUrl} ${timedOut ? 'did not answer in time' : 'cannot be reached'}.`,
        { cause: e },
      );
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const parsed = errorSchema.safeParse(json);
      const message = parsed.success ? parsed.data.error.message : `HTTP ${res.status}`;
      throw new ProviderError(codeOf(res.status), message, {
        httpStatus: res.status,
        reason: parsed.success ? (parsed.data.error.errors?.[0]?.reason ?? null) : null,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ProviderError('Unknown', `The sandbox's chaos controls answered ${path} in an unexpected shape.`);
    return parsed.data;
  }
}

const enc = encodeURIComponent;
