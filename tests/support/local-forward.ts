// A TCP forward from 127.0.0.1:<free port> to a member's address, for clients that cannot be told which
// name to verify (etcdctl has no server-name flag): kube-up's etcd server certificate names `etcd-<instance>`
// and 127.0.0.1, never the VM's address, so such a client dials 127.0.0.1 here as it would through `ssh -L`.
// No 'server-only' and no vitest: the integration tests and the benches both use it.
import net from 'node:net';

export type LocalForward = { port: number; close: () => Promise<void> };

/** Forwards 127.0.0.1:<port> to `address` (`host:port`) until closed. */
export async function localForward(address: string): Promise<LocalForward> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local = (server.address() as net.AddressInfo).port;
  return {
    port: local,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs `fn` with `https://127.0.0.1:<port>` URLs forwarded to `addresses`, closing the forwards after. */
export async function withLocalForwards<T>(addresses: readonly string[], fn: (urls: string[]) => Promise<T>): Promise<T> {
  const forwards = await Promise.all(addresses.map(localForward));
  try {
    return await fn(forwards.map((f) => `https://127.0.0.1:${f.port}`));
  } finally {
    await Promise.all(forwards.map((f) => f.close()));
  }
}
