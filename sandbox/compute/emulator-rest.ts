// For tests that drive the emulator over plain REST, as curl would: a call, and a mutation waited for until its
// Operation is DONE (GCE's `<scope>Operations.wait`). Tests that test Quorum use @google-cloud/compute instead.
import { z } from 'zod';

export const operationSchema = z.object({
  name: z.string(),
  status: z.string(),
  zone: z.string().optional(),
  region: z.string().optional(),
});

export type EmulatorRest = {
  /** `method` on `/compute/v1/projects/<project>/<path>`; rejects on an HTTP error, with its body. */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  /** A mutation, then a wait for its Operation; rejects unless the Operation ends DONE. */
  mutate(method: string, path: string, body?: unknown): Promise<void>;
};

/** `url()` is read at each call: tests start the emulator after building their helpers. */
export function emulatorRest(url: () => string, project: string): EmulatorRest {
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url()}/compute/v1/projects/${project}/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const mutate = async (method: string, path: string, body?: unknown): Promise<void> => {
    const op = operationSchema.parse(await api(method, path, body));
    const scope = op.zone
      ? `zones/${op.zone.split('/').pop() ?? ''}`
      : op.region
        ? `regions/${op.region.split('/').pop() ?? ''}`
        : 'global';
    const done = operationSchema.parse(await api('POST', `${scope}/operations/${op.name}/wait`));
    if (done.status !== 'DONE') throw new Error(`${method} ${path}: operation ${done.name} ended ${done.status}`);
  };
  return { api, mutate };
}
