// Reads an instance's metadata the way a GCE guest does: plain HTTP to the metadata server with
// `Metadata-Flavor: Google`. The socket is bound to the instance's internal IP because the emulator,
// like GCE's server, tells instances apart by the caller's address.

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 2_000;
const MAX_BODY_BYTES = 1 << 20;

export class MetadataError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MetadataError';
  }
}

export type MetadataClient = {
  /** Text of `instance/attributes/<key>`. */
  attribute(key: string, signal?: AbortSignal): Promise<string>;
};

export function createMetadataClient(opts: {
  metadataUrl: string;
  localAddress: string;
  /** How long to keep retrying while the server is not answering (or not yet knows us). */
  retryForMs?: number;
}): MetadataClient {
  const base = opts.metadataUrl.replace(/\/+$/, '');
  const retryForMs = opts.retryForMs ?? 10_000;

  async function getWithRetry(path: string, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + retryForMs;
    let delay = 100;
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await getOnce(`${base}${path}`, opts.localAddress, signal);
      } catch (err) {
        // The emulator may still be starting, or may not have registered this instance yet:
        // retry everything briefly, then report the last error.
        if (signal?.aborted || Date.now() + delay > deadline) throw err;
      }
      await sleep(delay, undefined, { signal });
      delay = Math.min(delay * 2, 1_000);
    }
  }

  return {
    attribute: (key, signal) => getWithRetry(`/instance/attributes/${encodeURIComponent(key)}`, signal),
  };
}

function getOnce(url: string, localAddress: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'GET',
        localAddress,
        headers: { 'Metadata-Flavor': 'Google' },
        timeout: REQUEST_TIMEOUT_MS,
        signal,
        // A fresh connection per request, so the source address is always ours.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new MetadataError(`GET ${url}: response larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            reject(new MetadataError(`GET ${url}: HTTP ${status} ${body.slice(0, 200)}`, status));
          } else {
            resolve(body);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new MetadataError(`GET ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}
