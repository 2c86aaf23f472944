// One TCP listener on <ip>:<port> that pipes every accepted connection, byte for byte, to the backend
// its `pick` chooses at accept time. TLS passes through untouched, as with GCE's network load
// balancer, so the client still talks TLS end to end with the API server behind it.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Backend = { host: string; port: number; localAddress?: string };

/** Undefined: no backend for this connection, so it is accepted and closed at once. */
export type PickBackend = () => Promise<Backend | undefined>;

// A backend that neither accepts nor refuses is given up on, so the client is not left hanging.
const CONNECT_TIMEOUT_MS = 5_000;

export class TcpForwarder {
  private server: Server | undefined;
  private bound = false;
  private closed = false;
  private lastError: string | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly ip: string,
    readonly port: number,
    private readonly pick: PickBackend,
    private readonly log: (msg: string) => void,
  ) {}

  get address(): string {
    return `${this.ip}:${this.port}`;
  }

  get listening(): boolean {
    return this.bound;
  }

  /**
   * Binds unless bound already. A bind that fails (EADDRINUSE of a stale listener, an address the
   * host lacks) is logged once and left for the next call to retry; it never throws.
   */
  ensureListening(): void {
    if (this.closed || this.server) return;
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      const text = err.code ?? err.message;
      if (text !== this.lastError) this.log(`lb: cannot listen on ${this.address}: ${err.message}; retrying`);
      this.lastError = text;
      this.bound = false;
      if (this.server === server) this.server = undefined;
      server.close();
    });
    server.listen({ host: this.ip, port: this.port, exclusive: true }, () => {
      if (this.server !== server) return;
      this.bound = true;
      this.lastError = undefined;
    });
  }

  /** Stops listening and cuts the connections it carries, as deleting a forwarding rule does. */
  close(): void {
    this.closed = true;
    this.bound = false;
    this.server?.close();
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    // Resets by either peer are routine for a proxy; the pair is torn down on 'close'.
    s.on('error', () => s.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    this.pick()
      .catch(() => undefined)
      .then((backend) => {
        if (!backend || this.closed || client.destroyed) {
          client.destroy();
          return;
        }
        const upstream = connect({
          host: backend.host,
          port: backend.port,
          allowHalfOpen: true,
          ...(backend.localAddress ? { localAddress: backend.localAddress } : {}),
        });
        this.track(upstream);
        upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy());
        upstream.once('connect', () => {
          upstream.setTimeout(0);
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
        });
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
      })
      .catch(() => client.destroy());
  }
}
