import 'server-only';
import { googleAuthLibrary } from 'google-gax';
import { z } from 'zod';
import { chunksForTestIamPermissions } from '@/lib/core/permissions';
import type { IamPort } from '@/lib/ports/iam';
import { ProviderError, type ProviderErrorCode } from '@/lib/ports/provider-error';
import type { GceTarget } from '@/lib/adapters/gce/gce-compute';

// Plain REST with Google's own auth client: @google-cloud/resource-manager is not installed, and one POST does
// not justify another client library. Same target as the Compute clients: the emulator (no credentials) or
// Google with Application Default Credentials.
type Requester = {
  request<T>(opts: {
    url: string;
    method: 'POST';
    data: unknown;
    timeout: number;
    retry: boolean;
  }): Promise<{ data: T }>;
};

const answerSchema = z.object({ permissions: z.array(z.string()).optional() });
const errorSchema = z.object({
  status: z.number().optional(),
  response: z.object({ status: z.number(), data: z.unknown() }).optional(),
  code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
});
const googleErrorBody = z.object({ error: z.object({ message: z.string(), status: z.string().optional() }) });

function codeOfStatus(status: number): ProviderErrorCode {
  if (status === 400) return 'InvalidArgument';
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  return 'ProviderUnavailable';
}

function toProviderError(err: unknown, context: string): ProviderError {
  const parsed = errorSchema.safeParse(err);
  const status = parsed.success ? (parsed.data.response?.status ?? parsed.data.status) : undefined;
  const body = parsed.success ? googleErrorBody.safeParse(parsed.data.response?.data) : null;
  const detail = body?.success ? body.data.error.message : err instanceof Error ? err.message : String(err);
  if (status === undefined) {
    const timedOut =
      parsed.success &&
      (parsed.data.code === 'ETIMEDOUT' ||
        parsed.data.code === 'ECONNABORTED' ||
        /timeout/i.test(parsed.data.message ?? ''));
    return new ProviderError(timedOut ? 'Timeout' : 'ProviderUnavailable', `${context}: ${detail}`, { cause: err });
  }
  return new ProviderError(codeOfStatus(status), `${context}: ${detail}`, {
    httpStatus: status,
    reason: body?.success ? (body.data.error.status ?? null) : null,
    cause: err,
  });
}

export class ResourceManagerIam implements IamPort {
  private readonly baseUrl: string;
  private readonly client: Requester;

  constructor(
    target: GceTarget,
    private readonly timeoutMs: number,
  ) {
    if (target.kind === 'sandbox') {
      this.baseUrl = `http://${target.host ?? '127.0.0.1'}:${target.port}`;
      this.client = new googleAuthLibrary.PassThroughClient();
    } else {
      this.baseUrl = 'https://cloudresourcemanager.googleapis.com';
      this.client = new googleAuthLibrary.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    }
  }

  async heldPermissions(project: string, permissions: readonly string[]): Promise<string[]> {
    const url = `${this.baseUrl}/v1/projects/${encodeURIComponent(project)}:testIamPermissions`;
    const held: string[] = [];
    // At most 100 permissions per call.
    for (const chunk of chunksForTestIamPermissions(permissions)) {
      const context = `projects.testIamPermissions ${project}`;
      let data: unknown;
      try {
        ({ data } = await this.client.request<unknown>({
          url,
          method: 'POST',
          data: { permissions: chunk },
          timeout: this.timeoutMs,
          retry: false,
        }));
      } catch (err) {
        throw toProviderError(err, context);
      }
      const answer = answerSchema.safeParse(data);
      if (!answer.success) throw new ProviderError('Unknown', `${context}: unexpected answer`);
      held.push(...(answer.data.permissions ?? []));
    }
    return held;
  }
}
