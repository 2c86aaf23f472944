import 'server-only';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { reachWhyText } from '@/lib/core/reach-why';
import type { ComputePort } from '@/lib/ports/compute';
import { isProviderError } from '@/lib/ports/provider-error';
import {
  ReachError,
  reachTargetLabel,
  type ReachEndpoint,
  type ReachErrorCode,
  type ReachPort,
  type ReachTarget,
  type TrustHostKeyOutcome,
} from '@/lib/ports/reach';
import type { HostKeyPin, Store } from '@/lib/ports/store';
import type { ClientKey } from './client-key';
import { KeyPublisher, type Publication } from './key-publisher';
import {
  googleKeyLine,
  hostKeyAlgorithmsFor,
  judgeHostKey,
  keyTypeOfBlob,
  publishedHostKeys,
  sshFingerprint,
  type SshPublicKey,
} from './ssh-keys';

// The reach port on ssh2: one SSH connection per replica (by instance id), reused by every forward to it,
// kept alive, closed when idle, and opened again on demand with backoff after a failure. Each (replica,
// remote port) gets a local listener, a Unix socket in a 0700 directory of Quorum's own, whose connections become
// `direct-tcpip` channels to 127.0.0.1:<port> on the replica, as `ssh -L /path:127.0.0.1:port` does. The listener
// outlives SSH reconnects, so clients built on its socket stay valid.

export type SshReachOptions = {
  compute: Pick<ComputePort, 'getInstance' | 'setInstanceMetadata' | 'getProjectMetadata' | 'getGuestAttributes'>;
  pins: Pick<Store, 'hostKeyPin' | 'pinHostKeyOnce' | 'replaceHostKeyPin'>;
  clientKey: ClientKey;
  /** QUORUM_SSH_USER. */
  user: string;
  /** QUORUM_SSH_ADDRESS: which of the instance's addresses to dial. */
  address: 'internal' | 'external';
  /** Where the forwards' sockets go (created 0700 if missing); default: a fresh directory under the OS's tmpdir. */
  socketDir?: string;
  /** 22 on Compute Engine; tests run sshd elsewhere. */
  sshPort?: number;
  /** Deadline of a connect (TCP + handshake + login) and of a channel open (QUORUM_SSH_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** SSH keepalive: a ping every interval, the connection dropped after countMax unanswered. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** An SSH connection with no open channel for this long is closed (its listeners stay). */
  idleCloseMs?: number;
  /**
   * Backoff between failed connects of one replica: initial, doubled per failure, capped. The cap is low (4 s): a
   * replica that comes up (a VM booting for an add, a zone back) is waited on by an operation or a live page, and a
   * higher cap made it seen up to that long after its sshd answered; one connect every 4 s to a silent host costs
   * nothing (probes in between get the last failure at once, never wait).
   */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** After Quorum wrote its key, how long a refused login is retried (the guest agent takes it up within seconds). */
  authGraceMs?: number;
  /** Validity of the published key, and the margin under which it is renewed. */
  keyTtlMs?: number;
  keyRenewBeforeMs?: number;
  /** How long a published key is trusted to still be in the metadata before it is read again. */
  keyRecheckMs?: number;
  /**
   * How often a fresh login is tried next to each open connection (QUORUM_SSH_LOGIN_CHECK_SECONDS): sshd keeps an
   * authenticated session when Quorum's key is removed or the host key replaced, so only a new login shows it.
   */
  loginCheckMs?: number;
  /**
   * A connection Quorum held was closed from the replica's side: a forwarded one to `remotePort` (the process behind
   * it went away or closed it), or the SSH connection itself (remotePort null). For live views to look again at once.
   */
  onLost?: (target: ReachTarget, remotePort: number | null) => void;
  log?: (line: string) => void;
};

type Forward = {
  remotePort: number;
  server: net.Server;
  socketPath: string;
  lastError: ReachError | null;
  sockets: Set<net.Socket>;
};

type Replica = {
  target: ReachTarget;
  client: Client | null;
  connecting: Promise<Client> | null;
  lastError: ReachError | null;
  failures: number;
  retryAt: number;
  forwards: Map<number, Promise<Forward>>;
  opened: Map<number, Forward>;
  channels: number;
  idleTimer: NodeJS.Timeout | null;
  loginCheckTimer: NodeJS.Timeout | null;
};

const HOUR = 3_600_000;

/** A fresh login refused for one of these means the open session only hides Quorum's access problem. */
const LOGIN_CHECK_VERDICTS: ReadonlySet<ReachErrorCode> = new Set<ReachErrorCode>([
  'SshAuthRefused',
  'HostKeyChanged',
  'HostKeyUnknown',
]);

export class SshReach implements ReachPort {
  private readonly replicas = new Map<string, Replica>();
  private readonly publisher: KeyPublisher;
  /** Clients Quorum closed on purpose (idle, release): their close is no failure. */
  private readonly closing = new WeakSet<Client>();
  private closed = false;
  private readonly o: Required<Omit<SshReachOptions, 'log' | 'socketDir' | 'onLost'>> & {
    log: (line: string) => void;
    onLost?: SshReachOptions['onLost'];
  };
  private socketDir: string | null;
  /** Whether Quorum made socketDir (and so removes it on close). */
  private readonly ownSocketDir: boolean;

  constructor(opts: SshReachOptions) {
    const keyTtlMs = opts.keyTtlMs ?? 24 * HOUR;
    this.o = {
      sshPort: 22,
      connectTimeoutMs: 3_000,
      keepaliveIntervalMs: 5_000,
      keepaliveCountMax: 3,
      idleCloseMs: 5 * 60_000,
      backoffInitialMs: 500,
      backoffMaxMs: 4_000,
      authGraceMs: 30_000,
      keyRenewBeforeMs: keyTtlMs / 4,
      keyRecheckMs: 5 * 60_000,
      loginCheckMs: 30_000,
      log: () => {},
      ...opts,
      keyTtlMs,
    };
    this.publisher = new KeyPublisher({
      compute: opts.compute,
      user: opts.user,
      key: opts.clientKey.publicKey,
      ttlMs: this.o.keyTtlMs,
      renewBeforeMs: this.o.keyRenewBeforeMs,
      recheckMs: this.o.keyRecheckMs,
    });
    this.socketDir = opts.socketDir ?? null;
    this.ownSocketDir = opts.socketDir === undefined;
  }

  loginKeyLine(): string {
    return googleKeyLine(this.o.user, this.o.clientKey.publicKey, new Date(Date.now() + this.o.keyTtlMs));
  }

  async forward(target: ReachTarget, remotePort: number): Promise<ReachEndpoint> {
    if (this.closed) throw new Error('reach is closed');
    const r = this.replicaFor(target);
    const fwd = await this.listenerFor(r, remotePort);
    await this.connected(r);
    // Renewal rides on use: cheap while the key is known fresh, a background Compute write when it is due.
    this.publisher
      .ensure(r.target)
      .catch((e: unknown) => this.o.log(`ssh key renewal for ${reachTargetLabel(r.target)}: ${messageOf(e)}`));
    return { socketPath: fwd.socketPath };
  }

  lastError(target: Pick<ReachTarget, 'instanceId'>, remotePort: number): ReachError | null {
    return this.replicas.get(target.instanceId)?.opened.get(remotePort)?.lastError ?? null;
  }

  async release(target: Pick<ReachTarget, 'instanceId'>): Promise<void> {
    const r = this.replicas.get(target.instanceId);
    if (!r) return;
    this.replicas.delete(target.instanceId);
    this.publisher.invalidate(target);
    if (r.idleTimer) clearTimeout(r.idleTimer);
    if (r.loginCheckTimer) clearTimeout(r.loginCheckTimer);
    if (r.client) this.endClient(r.client);
    r.client = null;
    await Promise.all(
      [...r.forwards.values()].map(async (p) => {
        const fwd = await p.catch(() => null);
        if (!fwd) return;
        for (const s of fwd.sockets) s.destroy();
        await new Promise<void>((resolve) => fwd.server.close(() => resolve()));
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.replicas.values()].map((r) => this.release(r.target)));
    if (this.socketDir && this.ownSocketDir) rmSync(this.socketDir, { recursive: true, force: true });
  }

  /** The directory of the forwards' sockets: only Quorum's user may enter it, so only Quorum can dial them. */
  private sockets(): string {
    if (!this.socketDir) this.socketDir = mkdtempSync(path.join(tmpdir(), 'quorum-reach-'));
    return this.socketDir;
  }

  private replicaFor(target: ReachTarget): Replica {
    let r = this.replicas.get(target.instanceId);
    if (!r) {
      r = {
        target,
        client: null,
        connecting: null,
        lastError: null,
        failures: 0,
        retryAt: 0,
        forwards: new Map(),
        opened: new Map(),
        channels: 0,
        idleTimer: null,
        loginCheckTimer: null,
      };
      this.replicas.set(target.instanceId, r);
    } else {
      // Addresses change (an ephemeral external IP after stop/start); the next connect dials the new one.
      r.target = target;
    }
    return r;
  }

  private listenerFor(r: Replica, remotePort: number): Promise<Forward> {
    const existing = r.forwards.get(remotePort);
    if (existing) return existing;
    const made = new Promise<Forward>((resolve, reject) => {
      const server = net.createServer({ pauseOnConnect: true });
      // Instance ids are decimal digits: a short path, well under the 108 bytes a socket path may have.
      const socketPath = path.join(
        this.sockets(),
        `${r.target.instanceId.replace(/[^0-9A-Za-z_-]/g, '_')}-${remotePort}.sock`,
      );
      const fwd: Forward = { remotePort, server, socketPath, lastError: null, sockets: new Set() };
      server.on('connection', (socket) => this.accept(r, fwd, socket));
      server.once('error', reject);
      // A socket left by a released forward of the same replica and port would make listen fail (EADDRINUSE).
      rmSync(socketPath, { force: true });
      server.listen(socketPath, () => {
        r.opened.set(remotePort, fwd);
        resolve(fwd);
      });
    });
    r.forwards.set(remotePort, made);
    made.catch(() => r.forwards.delete(remotePort));
    return made;
  }

  /** A local connection: through the replica's SSH connection (made if needed) to the remote port. */
  private accept(r: Replica, fwd: Forward, socket: net.Socket, retried = false): void {
    if (!retried) {
      fwd.sockets.add(socket);
      socket.on('close', () => fwd.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    this.connected(r).then(
      (client) => this.openChannel(r, fwd, client, socket, retried),
      (e: unknown) => {
        fwd.lastError = asReachError(e, r.target);
        socket.destroy();
      },
    );
  }

  private openChannel(r: Replica, fwd: Forward, client: Client, socket: net.Socket, retried: boolean): void {
    if (socket.destroyed) return;
    const label = reachTargetLabel(r.target);
    let settled = false;
    // ssh2 puts no deadline on a channel open: a replica gone silent would hold the dialer forever.
    const timer = setTimeout(() => {
      settled = true;
      const e = new ReachError(
        'SshUnreachable',
        label,
        reachWhyText('channelTimeout', { ms: this.o.connectTimeoutMs }),
        {
          details: { remotePort: fwd.remotePort },
        },
      );
      fwd.lastError = e;
      socket.destroy();
      this.drop(r, client, e);
    }, this.o.connectTimeoutMs);
    const onOpen = (err: Error | undefined, channel: ClientChannel) => {
      clearTimeout(timer);
      if (settled) {
        if (!err) channel.close();
        return;
      }
      if (err) {
        const e = channelOpenError(err, label, fwd.remotePort);
        fwd.lastError = e;
        socket.destroy();
        if (e.code === 'SshUnreachable') this.drop(r, client, e);
        return;
      }
      if (socket.destroyed) {
        channel.close();
        return;
      }
      fwd.lastError = null;
      r.channels++;
      this.touch(r);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        r.channels--;
        this.touch(r);
        socket.destroy();
        channel.close();
      };
      // The far end closed first (an etcd that exited): finish has not run yet, as Quorum's side closing runs it.
      channel.once('end', () => {
        if (!done) this.o.onLost?.(r.target, fwd.remotePort);
      });
      channel.on('close', finish);
      channel.on('error', finish);
      socket.on('close', finish);
      socket.pipe(channel).pipe(socket);
      socket.resume();
    };
    try {
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', fwd.remotePort, onOpen);
    } catch (e) {
      // The socket under the connection closed before ssh2 reported it: drop it and go again on a new one.
      clearTimeout(timer);
      this.drop(
        r,
        client,
        new ReachError('SshUnreachable', label, reachWhyText('connectionLost', { error: messageOf(e) }), { cause: e }),
      );
      if (!retried) this.accept(r, fwd, socket, true);
      else socket.destroy();
    }
  }

  /** The replica's SSH connection, connecting when there is none (at once, or after the backoff delay). */
  private connected(r: Replica): Promise<Client> {
    if (r.client) return Promise.resolve(r.client);
    // A reconnect after a failure is under way (it may wait for a republished key to be taken up): callers are
    // told the known reason now instead of being held, so a probe never waits longer than its own deadline.
    if (r.connecting) return r.lastError ? Promise.reject(r.lastError) : r.connecting;
    if (r.lastError && Date.now() < r.retryAt) return Promise.reject(r.lastError);
    const attempt = this.connect(r).then(
      (client) => {
        if (this.closed || this.replicas.get(r.target.instanceId) !== r) {
          // Released while connecting: nobody would ever close this connection.
          this.endClient(client);
          throw new ReachError('SshUnreachable', reachTargetLabel(r.target), reachWhyText('reachClosed'));
        }
        r.client = client;
        r.failures = 0;
        r.lastError = null;
        for (const fwd of r.opened.values()) if (fwd.lastError?.accessProblem) fwd.lastError = null;
        this.touch(r);
        this.scheduleLoginCheck(r);
        return client;
      },
      (e: unknown) => {
        const err = asReachError(e, r.target);
        r.failures++;
        r.lastError = err;
        r.retryAt = Date.now() + Math.min(this.o.backoffMaxMs, this.o.backoffInitialMs * 2 ** (r.failures - 1));
        for (const fwd of r.opened.values()) fwd.lastError = err;
        this.o.log(`ssh ${reachTargetLabel(r.target)}: ${err.code}: ${err.message}`);
        throw err;
      },
    );
    r.connecting = attempt;
    attempt.then(
      () => (r.connecting = null),
      () => (r.connecting = null),
    );
    return attempt;
  }

  private async connect(r: Replica): Promise<Client> {
    const target = r.target;
    const label = reachTargetLabel(target);
    const address = this.o.address === 'internal' ? target.internalIp : target.externalIp;
    if (!address) {
      throw new ReachError('NoAddress', label, reachWhyText('noAddress', { kind: this.o.address }));
    }
    // A Compute failure while publishing does not stop the attempt: the key published earlier may well be
    // in place, and a Compute outage must not read as every replica being out of reach.
    let published: Publication | null = null;
    let publishError: ReachError | null = null;
    try {
      published = await this.publisher.ensure(target);
    } catch (e) {
      if (e instanceof ReachError && e.code === 'OsLoginUnsupported') throw e;
      publishError = asReachError(e, target);
    }
    let graceUntil = published?.wrote ? Date.now() + this.o.authGraceMs : 0;
    let rechecked = publishError !== null;
    for (;;) {
      try {
        return await this.handshake(r, address);
      } catch (e) {
        if (!(e instanceof ReachError) || e.code !== 'SshAuthRefused') throw e;
        // Refused, and Quorum could not publish its key: that is the reason to show.
        if (publishError) throw publishError;
        if (!rechecked && !published?.wrote) {
          // Refused although the key was thought published: someone may have removed it. Read the metadata again.
          rechecked = true;
          this.publisher.invalidate(target);
          published = await this.publisher.ensure(target);
          if (published.wrote) graceUntil = Date.now() + this.o.authGraceMs;
        }
        if (Date.now() >= graceUntil) throw e;
        await sleep(500);
      }
    }
  }

  /** The next fresh-login check of a replica, while it has a connection. */
  private scheduleLoginCheck(r: Replica): void {
    if (r.loginCheckTimer) clearTimeout(r.loginCheckTimer);
    r.loginCheckTimer = setTimeout(() => {
      r.loginCheckTimer = null;
      void this.checkLogin(r).finally(() => {
        if (!this.closed && r.client !== null && this.replicas.get(r.target.instanceId) === r)
          this.scheduleLoginCheck(r);
      });
    }, this.o.loginCheckMs);
    r.loginCheckTimer.unref();
  }

  /**
   * Logs in afresh next to the open connection and closes the new one at once. Refused (Quorum's key removed,
   * the host key replaced), the open connection is dropped with that reason, so the replica reads "no access"
   * now rather than at some later reconnect; and a reconnect starts at once, which for a refused key reads
   * the instance's metadata again and publishes the key again. A slow or silent network is left to keepalive.
   */
  private async checkLogin(r: Replica): Promise<void> {
    const client = r.client;
    const address = this.o.address === 'internal' ? r.target.internalIp : r.target.externalIp;
    if (client === null || address === null || this.closed) return;
    let fresh: Client;
    try {
      fresh = await this.handshake(r, address);
    } catch (e) {
      if (!(e instanceof ReachError) || !LOGIN_CHECK_VERDICTS.has(e.code) || r.client !== client) return;
      this.o.log(
        `ssh ${reachTargetLabel(r.target)}: a fresh login was refused (${e.code}); the open connection is dropped`,
      );
      this.drop(r, client, e);
      if (e.code === 'SshAuthRefused') this.publisher.invalidate(r.target);
      this.connected(r).catch(() => {});
      return;
    }
    this.endClient(fresh);
  }

  async trustPresentedHostKey(
    target: ReachTarget,
    seen: { pinnedFingerprint: string; presentedFingerprint: string },
  ): Promise<TrustHostKeyOutcome> {
    if (this.closed) throw new Error('reach is closed');
    const r = this.replicaFor(target);
    const label = reachTargetLabel(target);
    const address = this.o.address === 'internal' ? target.internalIp : target.externalIp;
    if (!address) {
      throw new ReachError('NoAddress', label, reachWhyText('noAddress', { kind: this.o.address }));
    }
    const pinned = await this.o.pins.hostKeyPin(target.instanceId);
    if (pinned === null || pinned.fingerprint !== seen.pinnedFingerprint) {
      return {
        ok: false,
        reason: 'PinChanged',
        presentedFingerprint: null,
        pinnedFingerprint: pinned?.fingerprint ?? null,
      };
    }
    // The key is read from the host now, never taken from the browser: only its fingerprint is compared.
    const presented = await this.presentedHostKey(label, address, pinned.keyType);
    const fingerprint = presented === null ? null : sshFingerprint(presented.key);
    if (presented === null || fingerprint !== seen.presentedFingerprint) {
      return {
        ok: false,
        reason: 'PresentedKeyDiffers',
        presentedFingerprint: fingerprint,
        pinnedFingerprint: pinned.fingerprint,
      };
    }
    const kept = await this.o.pins.replaceHostKeyPin(seen.pinnedFingerprint, {
      instanceId: target.instanceId,
      instance: label,
      keyType: presented.type,
      key: presented.key,
      fingerprint: presented.fingerprint,
      source: 'admin',
    });
    if (!kept.replaced)
      return {
        ok: false,
        reason: 'PinChanged',
        presentedFingerprint: fingerprint,
        pinnedFingerprint: kept.pin?.fingerprint ?? null,
      };
    this.o.log(`ssh ${label}: host key ${fingerprint} trusted in place of ${seen.pinnedFingerprint}`);
    // Connect again at once, with the new pin: no backoff left from the refusals, no session from before.
    r.failures = 0;
    r.retryAt = 0;
    if (r.client) {
      this.closing.add(r.client);
      this.endClient(r.client);
      r.client = null;
    }
    if (!r.connecting) this.connected(r).catch(() => {});
    return { ok: true, fingerprint: presented.fingerprint };
  }

  /** The host key sshd at `address` presents for `keyType` (a key exchange cut before login); null when it has none of that type. */
  private presentedHostKey(
    label: string,
    address: string,
    keyType: string,
  ): Promise<(SshPublicKey & { fingerprint: string }) | null> {
    const algorithms = hostKeyAlgorithmsFor(keyType);
    return new Promise((resolve, reject) => {
      const client = new Client();
      let seen: (SshPublicKey & { fingerprint: string }) | null = null;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.endClient(client);
        fn();
      };
      client.on('error', (e: Error & { level?: string }) => {
        if (seen !== null) settle(() => resolve(seen));
        else if (pinnedTypeMissing(e)) settle(() => resolve(null));
        else settle(() => reject(connectError(e, label, address, this.o.connectTimeoutMs, null)));
      });
      client.once('close', () =>
        settle(() =>
          seen !== null
            ? resolve(seen)
            : reject(
                new ReachError(
                  'SshUnreachable',
                  label,
                  reachWhyText('closedBeforeKeyExchange', { address, port: this.o.sshPort }),
                ),
              ),
        ),
      );
      client.once('ready', () =>
        settle(() =>
          seen !== null ? resolve(seen) : reject(new ReachError('HostKeyUnknown', label, reachWhyText('noHostKey'))),
        ),
      );
      const config: ConnectConfig = {
        host: address,
        port: this.o.sshPort,
        username: this.o.user,
        readyTimeout: this.o.connectTimeoutMs,
        tryKeyboard: false,
        hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
          const key = blob.toString('base64');
          seen = { type: keyTypeOfBlob(blob) ?? 'unknown', key, fingerprint: sshFingerprint(key) };
          // Only the key is wanted: the exchange stops here, nothing is sent as Quorum's user.
          verify(false);
        },
        ...(algorithms.length > 0
          ? {
              algorithms: {
                serverHostKey: algorithms as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
              },
            }
          : {}),
      };
      try {
        client.connect(config);
      } catch (e) {
        settle(() =>
          reject(
            new ReachError('SshUnreachable', label, reachWhyText('notStarted', { error: messageOf(e) }), { cause: e }),
          ),
        );
      }
    });
  }

  /** One SSH connect: TCP, key exchange with the host key checked against the pin, login with Quorum's key. */
  private async handshake(r: Replica, address: string): Promise<Client> {
    const target = r.target;
    const label = reachTargetLabel(target);
    const pinRow = await this.o.pins.hostKeyPin(target.instanceId);
    const pinned: SshPublicKey | null = pinRow ? { type: pinRow.keyType, key: pinRow.key } : null;
    let published: SshPublicKey[] | null = null;
    if (pinned === null) {
      try {
        const attrs = await this.o.compute.getGuestAttributes(
          target.project,
          target.zone,
          target.instance,
          'hostkeys/',
        );
        published = attrs === null ? null : publishedHostKeys(attrs);
      } catch (e) {
        // Unknown whether the instance publishes its host keys: trusting the first key seen would skip a check.
        throw new ReachError(
          'HostKeyUnknown',
          label,
          reachWhyText('hostKeysUnread', { error: isProviderError(e) ? e.message : messageOf(e) }),
          {
            cause: e,
          },
        );
      }
    }
    // Ask only for key types that can match, so a host with several keys presents the one that is known.
    const known = pinned ? [pinned] : (published ?? []);
    const algorithms = [...new Set(known.flatMap((k) => hostKeyAlgorithmsFor(k.type)))];

    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let verdict: ReachError | null = null;
      let settled = false;
      const fail = (e: ReachError) => {
        if (settled) return;
        settled = true;
        this.endClient(client);
        reject(e);
      };
      const hostVerifier = (blob: Buffer, verify: (valid: boolean) => void): void => {
        const type = keyTypeOfBlob(blob);
        const presented = { type: type ?? 'unknown', key: blob.toString('base64') };
        const judged = judgeHostKey(presented, pinned, published);
        if (!judged.ok) {
          verdict = new ReachError(
            judged.code,
            label,
            judged.code === 'HostKeyChanged'
              ? reachWhyText('hostKeyChanged', {
                  pinned: judged.pinnedFingerprint ?? '?',
                  presented: judged.presentedFingerprint,
                })
              : reachWhyText('hostKeyNotPublished', { presented: judged.presentedFingerprint }),
            {
              details: {
                presentedFingerprint: judged.presentedFingerprint,
                ...(judged.pinnedFingerprint ? { pinnedFingerprint: judged.pinnedFingerprint } : {}),
                address,
              },
            },
          );
          verify(false);
          return;
        }
        if (judged.pin === null) {
          verify(true);
          return;
        }
        const pin: Omit<HostKeyPin, 'pinnedAt'> = {
          instanceId: target.instanceId,
          instance: label,
          keyType: presented.type,
          key: presented.key,
          fingerprint: sshFingerprint(presented.key),
          source: judged.pin.source,
        };
        this.o.pins.pinHostKeyOnce(pin).then(
          (kept) => {
            // Another process pinned first: its key is the one to hold the host to.
            if (kept.key === pin.key && kept.keyType === pin.keyType) {
              this.o.log(`ssh ${label}: pinned host key ${pin.fingerprint} (${pin.source})`);
              verify(true);
              return;
            }
            verdict = new ReachError(
              'HostKeyChanged',
              label,
              reachWhyText('hostKeyChanged', { pinned: kept.fingerprint, presented: pin.fingerprint }),
              {
                details: { presentedFingerprint: pin.fingerprint, pinnedFingerprint: kept.fingerprint, address },
              },
            );
            verify(false);
          },
          (e: unknown) => {
            verdict = new ReachError('HostKeyUnknown', label, reachWhyText('notPinned', { error: messageOf(e) }), {
              cause: e,
              details: { address },
            });
            verify(false);
          },
        );
      };
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        client.on('error', (e: Error) =>
          this.drop(
            r,
            client,
            new ReachError('SshUnreachable', label, reachWhyText('connectionFailed', { error: e.message }), {
              cause: e,
              details: { address },
            }),
          ),
        );
        client.on('close', () =>
          this.drop(
            r,
            client,
            new ReachError('SshUnreachable', label, reachWhyText('closedByPeer'), {
              details: { address },
            }),
          ),
        );
        resolve(client);
      });
      client.on('error', (e: Error & { level?: string }) => {
        if (!settled) fail(verdict ?? connectError(e, label, address, this.o.connectTimeoutMs, pinned));
      });
      client.once('close', () => {
        if (!settled)
          fail(
            verdict ??
              new ReachError(
                'SshUnreachable',
                label,
                reachWhyText('closedBeforeLogin', { address, port: this.o.sshPort }),
                { details: { address } },
              ),
          );
      });
      const config: ConnectConfig = {
        host: address,
        port: this.o.sshPort,
        username: this.o.user,
        privateKey: this.o.clientKey.privateKey,
        readyTimeout: this.o.connectTimeoutMs,
        keepaliveInterval: this.o.keepaliveIntervalMs,
        keepaliveCountMax: this.o.keepaliveCountMax,
        tryKeyboard: false,
        hostVerifier,
        ...(algorithms.length > 0
          ? {
              algorithms: {
                serverHostKey: algorithms as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
              },
            }
          : {}),
      };
      try {
        client.connect(config);
      } catch (e) {
        fail(
          new ReachError('SshUnreachable', label, reachWhyText('notStarted', { error: messageOf(e) }), {
            cause: e,
            details: { address },
          }),
        );
      }
    });
  }

  /** The connection is gone (or judged dead): forget it so the next use connects again. */
  private drop(r: Replica, client: Client, why: ReachError): void {
    if (r.client !== client) return;
    r.client = null;
    if (r.idleTimer) clearTimeout(r.idleTimer);
    r.idleTimer = null;
    if (r.loginCheckTimer) clearTimeout(r.loginCheckTimer);
    r.loginCheckTimer = null;
    if (!this.closing.has(client)) {
      r.lastError = why;
      for (const fwd of r.opened.values()) fwd.lastError = why;
      this.o.log(`ssh ${reachTargetLabel(r.target)}: ${why.message}`);
      this.o.onLost?.(r.target, null);
    }
    this.endClient(client);
  }

  private endClient(client: Client): void {
    this.closing.add(client);
    client.end();
    // end() waits for the peer; a silent peer would keep the socket forever.
    setTimeout(() => client.destroy(), 1_000).unref();
  }

  /** Idle close: with no channel open for idleCloseMs, the SSH connection is ended (listeners stay). */
  private touch(r: Replica): void {
    if (r.idleTimer) clearTimeout(r.idleTimer);
    r.idleTimer = null;
    if (r.channels > 0 || r.client === null) return;
    const client = r.client;
    r.idleTimer = setTimeout(() => {
      r.idleTimer = null;
      if (r.client !== client || r.channels > 0) return;
      this.closing.add(client);
      r.client = null;
      client.end();
      setTimeout(() => client.destroy(), 1_000).unref();
    }, this.o.idleCloseMs);
    r.idleTimer.unref();
  }
}

/** A failed connect -> the access problem it is. */
function connectError(
  e: Error & { level?: string; code?: unknown },
  label: string,
  address: string,
  timeoutMs: number,
  pinned: SshPublicKey | null,
): ReachError {
  const details = { address };
  if (e.level === 'client-authentication') {
    return new ReachError('SshAuthRefused', label, reachWhyText('keyRefused', { address, error: e.message }), {
      cause: e,
      details,
    });
  }
  if (e.level === 'client-timeout') {
    return new ReachError('SshUnreachable', label, reachWhyText('noAnswer', { address, ms: timeoutMs }), {
      cause: e,
      details,
    });
  }
  if (e.level === 'client-socket') {
    const code = typeof e.code === 'string' ? e.code : e.message;
    return new ReachError('SshUnreachable', label, reachWhyText('portUnreachable', { address, code }), {
      cause: e,
      details,
    });
  }
  if (pinned !== null && /host key/i.test(e.message)) {
    // Only the pinned key's type was asked for, and the host no longer has one.
    return new ReachError(
      'HostKeyChanged',
      label,
      reachWhyText('pinnedTypeGone', { type: pinned.type, pinned: sshFingerprint(pinned.key) }),
      {
        cause: e,
        details: { pinnedFingerprint: sshFingerprint(pinned.key), address },
      },
    );
  }
  return new ReachError('SshUnreachable', label, reachWhyText('sshFailed', { address, error: e.message }), {
    cause: e,
    details,
  });
}

/** SSH channel open failure -> ServiceDown (reason 2, connect failed), ForwardingRefused, or a lost connection. */
function channelOpenError(e: Error & { reason?: unknown }, label: string, remotePort: number): ReachError {
  const details = { remotePort };
  if (e.reason === 2) {
    return new ReachError('ServiceDown', label, reachWhyText('serviceDown', { port: remotePort }), {
      cause: e,
      details,
    });
  }
  if (typeof e.reason === 'number') {
    return new ReachError(
      'ForwardingRefused',
      label,
      reachWhyText('forwardingRefused', { port: remotePort, error: e.message }),
      { cause: e, details },
    );
  }
  return new ReachError('SshUnreachable', label, reachWhyText('channelLost', { error: e.message }), {
    cause: e,
    details,
  });
}

/** ssh2's failure when the host offers none of the host key algorithms asked for. */
function pinnedTypeMissing(e: Error): boolean {
  return /host key|no matching/i.test(e.message);
}

function asReachError(e: unknown, target: ReachTarget): ReachError {
  if (e instanceof ReachError) return e;
  return new ReachError('SshUnreachable', reachTargetLabel(target), messageOf(e), { cause: e });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
