// TCP health probe: a member is healthy when its port accepts a connection within the timeout,
// like a GCE legacy health check that only needs the handshake to succeed.
import { connect } from 'node:net';

export function probeTcp(host: string, port: number, timeoutMs: number, localAddress?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}
