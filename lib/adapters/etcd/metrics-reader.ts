import 'server-only';
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import type { EtcdTls } from '@/lib/ports/etcd-admin';
import type { ReachEndpoint } from '@/lib/ports/reach';
import { isPeerMetricLine } from './etcd-metrics';

// One GET of a member's /metrics through the local forward the etcd client already uses (the reach port's
// SSH tunnel to 127.0.0.1:<client port> on the master): https with the API server's etcd client certificate,
// verifying the name kube-up's server certificate carries (`etcd-<instance>`), or plain http (events, and main
// before ~1.16). The text is large (histograms of every gRPC method) and only a handful of lines matter, so
// it is asked for gzipped and filtered line by line as it streams in. Connections are kept alive between
// observations: each new one would be a new SSH channel.

export class MetricsReader {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });

  /** The lines of the peer families (etcd-metrics.ts); rejects on a time-out, an HTTP error or a dropped connection. */
  read(local: ReachEndpoint, tls: EtcdTls, serverName: string, timeoutMs: number): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const common = {
        socketPath: local.socketPath,
        path: '/metrics',
        method: 'GET',
        headers: { 'accept-encoding': 'gzip', accept: 'text/plain' },
      };
      const req = tls
        ? https.request({
            ...common,
            agent: this.httpsAgent,
            ca: tls.caCert,
            cert: tls.clientCert,
            key: tls.clientKey,
            servername: serverName,
          })
        : http.request({ ...common, agent: this.httpAgent });
      const timer = setTimeout(() => req.destroy(new Error(`timeout: no metrics within ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(new Error(`metrics: HTTP ${res.statusCode ?? '?'}`));
          return;
        }
        const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
        body.setEncoding('utf8');
        const kept: string[] = [];
        let partial = '';
        body.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (isPeerMetricLine(line)) kept.push(line);
        });
        body.on('error', fail);
        res.on('error', fail);
        body.on('end', () => {
          clearTimeout(timer);
          if (isPeerMetricLine(partial)) kept.push(partial);
          resolve(kept);
        });
      });
      req.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
