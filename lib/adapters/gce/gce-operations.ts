import 'server-only';
import { z } from 'zod';
import { ProviderError } from '@/lib/ports/provider-error';
import type { GceClients } from './gce-compute';
import { computeProviderError, failureOfOperation } from './gce-errors';
import { isConnectionReset } from '@/lib/adapters/connection-reset';
import { lastSegment, toProviderError } from './gce-mapping';

// Compute's mutating calls return an Operation. Waiting for it is the same dance for every scope:
// call `<scope>Operations.wait` until status is DONE, then look at `error`.

const operationSchema = z.object({
  name: z.string().min(1),
  status: z.string().nullish(),
  zone: z.string().nullish(),
  region: z.string().nullish(),
  error: z
    .object({
      errors: z
        .array(
          z.object({
            code: z.string().nullish(),
            message: z.string().nullish(),
            errorDetails: z.array(z.unknown()).nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
  httpErrorStatusCode: z.number().nullish(),
  httpErrorMessage: z.string().nullish(),
});
export type GceOperation = z.infer<typeof operationSchema>;

/** Extracts the Operation from what a mutating client call resolves to (`[LROperation, ...]`). */
export function operationOf(result: unknown): GceOperation {
  const first: unknown = Array.isArray(result) ? result[0] : result;
  const lro = z.object({ latestResponse: z.unknown() }).safeParse(first);
  const parsed = operationSchema.safeParse(
    lro.success && lro.data.latestResponse !== undefined ? lro.data.latestResponse : first,
  );
  if (!parsed.success) throw new ProviderError('Unknown', 'Compute Engine returned no Operation for a mutating call');
  return parsed.data;
}

/** Waits for an Operation to be DONE and rejects with a ProviderError if it failed or took longer than `timeoutMs`. */
export async function waitForOperation(
  clients: GceClients,
  project: string,
  op: GceOperation,
  timeoutMs: number,
): Promise<GceOperation> {
  const deadline = Date.now() + timeoutMs;
  let current = op;
  let resets = 0;
  while (current.status !== 'DONE') {
    if (Date.now() > deadline) {
      throw new ProviderError('Timeout', `operation ${current.name} not DONE after ${timeoutMs} ms`);
    }
    try {
      const [next] = current.zone
        ? await clients.zoneOperations.wait({ project, zone: lastSegment(current.zone), operation: current.name })
        : current.region
          ? await clients.regionOperations.wait({
              project,
              region: lastSegment(current.region),
              operation: current.name,
            })
          : await clients.globalOperations.wait({ project, operation: current.name });
      current = operationOf(next);
      resets = 0;
    } catch (e) {
      // A wait only reads the Operation: one reset connection (an idle kept-alive one closed under it) is asked again.
      if (isConnectionReset(e) && resets++ === 0) continue;
      throw toProviderError(e, `wait for operation ${current.name}`);
    }
  }
  const failure = failureOfOperation(current);
  if (failure) throw computeProviderError(failure, `operation ${current.name} failed`);
  return current;
}
