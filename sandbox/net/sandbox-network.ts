// The sandbox's data plane: TCP forwarders for forwarding rules (to the healthy members of their
// target pool) and for instances' external IPs (to the instance's internal IP). It owns no state:
// it reconciles its listeners against a view of the cloud whenever the cloud changes, on a timer
// when a rule's propagation ends, and at every health round (which also retries failed binds).
import { probeTcp } from './health';
import { TcpForwarder, type Backend } from './tcp-forwarder';

export type ForwardingRuleView = {
  /** Identity of the rule (its selfLink). */
  key: string;
  name: string;
  ip: string;
  ports: number[];
  /** Epoch ms from which the rule forwards (Infinity while its insert has not finished). */
  activeAt: number;
  /** Internal IPs of the target pool's RUNNING instances: the candidates of the health check. */
  members: string[];
};

/** An external IP (natIP) of a RUNNING instance: `<ip>:<port>` forwards to `<internalIp>:<port>`. */
export type NatView = { ip: string; internalIp: string; instance: string };

export type NetworkView = { rules: ForwardingRuleView[]; nats: NatView[] };

export type SandboxNetworkOptions = {
  view: () => NetworkView;
  /** Port a forwarding rule without portRange forwards (the API server's, 443). */
  natPort: number;
  /**
   * Ports an external IP forwards to the instance (GCE's 1:1 NAT forwards every port the firewall lets in;
   * kube-up opens 22 and 443 to the world). Default: `natPort` only.
   */
  natPorts?: number[];
  /** Source address of the load balancer's connections and health checks to backends (Google's, not the dashboard's). */
  backendLocalAddress?: string;
  /** Puts an external address on the host before a forwarder binds it, and takes it off when none does. */
  addresses?: { add(ip: string): Promise<void>; remove(ip: string): Promise<void> };
  /** Time between health rounds (GCE's legacy checks: seconds; default 1000). */
  healthIntervalMs?: number;
  log: (msg: string) => void;
};

type Route = { kind: 'rule'; ruleKey: string; port: number } | { kind: 'nat'; backend: Backend };

type RuleHealth = {
  /** Probe port: the first port of the rule. */
  port: number;
  healthy: string[];
  next: number;
  /** Settles after the first probe, so a connection that arrives earlier waits for an answer. */
  firstRound: Promise<void>;
  settleFirst: () => void;
};

export class SandboxNetwork {
  private readonly forwarders = new Map<string, TcpForwarder>();
  private readonly routes = new Map<string, Route>();
  private readonly health = new Map<string, RuleHealth>();
  /** External addresses put on the host for a forwarder, and those being put there. */
  private readonly addressed = new Set<string>();
  private readonly adding = new Set<string>();
  private readonly healthIntervalMs: number;
  private activationTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: SandboxNetworkOptions) {
    this.healthIntervalMs = opts.healthIntervalMs ?? 1_000;
  }

  start(): void {
    this.reconcile();
    this.scheduleRound(0);
  }

  /** Brings the listeners in line with the cloud as it is now. Never throws. */
  reconcile(): void {
    if (this.closed) return;
    let view: NetworkView;
    try {
      view = this.opts.view();
    } catch (err) {
      this.opts.log(`lb: cannot read the cloud: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const now = Date.now();
    const desired = new Map<string, Route>();
    const activeRules = new Map<string, ForwardingRuleView>();
    let nextActivation = Infinity;
    for (const nat of view.nats) {
      for (const port of this.opts.natPorts ?? [this.opts.natPort]) {
        desired.set(`${nat.ip}:${port}`, { kind: 'nat', backend: { host: nat.internalIp, port } });
      }
    }
    for (const rule of view.rules) {
      if (rule.activeAt > now) {
        nextActivation = Math.min(nextActivation, rule.activeAt);
        continue;
      }
      activeRules.set(rule.key, rule);
      // A rule and a natIP never share an address (the cloud keeps external IPs unique); the rule wins if they did.
      for (const port of rule.ports) desired.set(`${rule.ip}:${port}`, { kind: 'rule', ruleKey: rule.key, port });
    }

    for (const [addr, forwarder] of this.forwarders) {
      if (desired.has(addr)) continue;
      forwarder.close();
      this.forwarders.delete(addr);
      this.routes.delete(addr);
      this.opts.log(`lb: ${addr} stopped forwarding`);
      this.releaseAddressIfUnused(forwarder.ip);
    }
    for (const [addr, route] of desired) {
      // Swapping the route of a bound address (natIP -> forwarding rule) keeps the listener.
      this.routes.set(addr, route);
      let forwarder = this.forwarders.get(addr);
      if (!forwarder) {
        const [ip = '', port = '0'] = addr.split(/:(?=\d+$)/);
        forwarder = new TcpForwarder(ip, Number(port), () => this.pick(addr), this.opts.log);
        this.forwarders.set(addr, forwarder);
        this.opts.log(
          `lb: ${addr} forwarding to ${route.kind === 'nat' ? `${route.backend.host}:${route.backend.port}` : `the target pool of ${route.ruleKey.split('/').pop() ?? ''}`}`,
        );
      }
      this.listenWhenAddressed(forwarder);
    }

    for (const key of this.health.keys()) if (!activeRules.has(key)) this.health.delete(key);
    for (const [key, rule] of activeRules) {
      if (this.health.has(key)) continue;
      let settleFirst = () => {};
      const firstRound = new Promise<void>((resolve) => {
        settleFirst = resolve;
      });
      const h: RuleHealth = { port: rule.ports[0] ?? this.opts.natPort, healthy: [], next: 0, firstRound, settleFirst };
      this.health.set(key, h);
      // A rule that just started forwarding is checked at once rather than at the next round.
      void this.probeRule(rule.name, h, rule.members);
    }

    if (this.activationTimer) clearTimeout(this.activationTimer);
    this.activationTimer = undefined;
    if (nextActivation !== Infinity) {
      this.activationTimer = setTimeout(() => this.reconcile(), Math.max(0, nextActivation - now) + 5);
    }
  }

  /** Binds once the host holds the address (a failed add or bind is retried at the next health round). */
  private listenWhenAddressed(forwarder: TcpForwarder): void {
    const addresses = this.opts.addresses;
    if (!addresses || this.addressed.has(forwarder.ip)) {
      forwarder.ensureListening();
      return;
    }
    if (this.adding.has(forwarder.ip)) return;
    this.adding.add(forwarder.ip);
    addresses
      .add(forwarder.ip)
      .then(() => {
        this.addressed.add(forwarder.ip);
        forwarder.ensureListening();
      })
      .catch((err: unknown) =>
        this.opts.log(
          `lb: cannot put ${forwarder.ip} on the host: ${err instanceof Error ? err.message : String(err)}; retrying`,
        ),
      )
      .finally(() => this.adding.delete(forwarder.ip));
  }

  private releaseAddressIfUnused(ip: string): void {
    const addresses = this.opts.addresses;
    if (!addresses || !this.addressed.has(ip)) return;
    if ([...this.forwarders.values()].some((f) => f.ip === ip)) return;
    this.addressed.delete(ip);
    addresses
      .remove(ip)
      .catch((err: unknown) =>
        this.opts.log(`lb: cannot take ${ip} off the host: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  close(): void {
    this.closed = true;
    if (this.activationTimer) clearTimeout(this.activationTimer);
    if (this.roundTimer) clearTimeout(this.roundTimer);
    for (const f of this.forwarders.values()) f.close();
    this.forwarders.clear();
    this.routes.clear();
    for (const h of this.health.values()) h.settleFirst();
    this.health.clear();
  }

  private async pick(addr: string): Promise<Backend | undefined> {
    const route = this.routes.get(addr);
    if (!route) return undefined;
    if (route.kind === 'nat') return route.backend;
    const h = this.health.get(route.ruleKey);
    if (!h) return undefined;
    await h.firstRound;
    if (h.healthy.length === 0) return undefined;
    // Round robin over the members found healthy by the last round.
    const host = h.healthy[h.next % h.healthy.length];
    h.next = (h.next + 1) % Number.MAX_SAFE_INTEGER;
    if (host === undefined) return undefined;
    return {
      host,
      port: route.port,
      ...(this.opts.backendLocalAddress ? { localAddress: this.opts.backendLocalAddress } : {}),
    };
  }

  private async probeRule(name: string, h: RuleHealth, members: string[]): Promise<void> {
    const timeout = Math.max(100, Math.min(this.healthIntervalMs, 1_000));
    const results = await Promise.all(
      members.map((ip) => probeTcp(ip, h.port, timeout, this.opts.backendLocalAddress)),
    );
    const healthy = members.filter((_, i) => results[i] === true);
    const before = h.healthy.join(', ');
    h.healthy = healthy;
    h.settleFirst();
    if (!this.closed && before !== healthy.join(', ')) {
      this.opts.log(`lb: ${name}: healthy members ${healthy.length > 0 ? healthy.join(', ') : 'none'}`);
    }
  }

  private scheduleRound(delayMs: number): void {
    if (this.closed) return;
    this.roundTimer = setTimeout(() => {
      void this.round().finally(() => this.scheduleRound(this.healthIntervalMs));
    }, delayMs);
  }

  /** One health round: re-read the pools (members added or removed count from here), probe them all. */
  private async round(): Promise<void> {
    this.reconcile();
    if (this.closed) return;
    let view: NetworkView;
    try {
      view = this.opts.view();
    } catch {
      return;
    }
    await Promise.all(
      view.rules.map((rule) => {
        const h = this.health.get(rule.key);
        return h ? this.probeRule(rule.name, h, rule.members) : Promise.resolve();
      }),
    );
  }
}
