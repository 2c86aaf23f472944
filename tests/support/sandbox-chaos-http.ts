// The sandbox's chaos endpoints called directly over HTTP (see sandbox/README.md), for tests and benches that
// break a replica or a zone without going through the dashboard's chaos service (which audits to a store).
// No 'server-only': plain fetch.

/** POST /sandbox/v1/chaos/<path> on the sandbox at `port`; throws unless it answers 2xx. */
export async function postSandboxChaos(port: number, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/sandbox/v1/chaos/${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(90_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`chaos ${path}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** The path of an instance action: `projects/<p>/zones/<z>/instances/<name>/<action>`. */
export const instanceChaosPath = (
  project: string,
  zone: string,
  name: string,
  action: 'stop' | 'kill-etcd' | 'freeze' | 'unfreeze' | 'restore',
) =>
  `projects/${encodeURIComponent(project)}/zones/${encodeURIComponent(zone)}/instances/${encodeURIComponent(name)}/${action}`;
