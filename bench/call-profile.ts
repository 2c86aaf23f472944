// Where an operation's time goes, for the add-replica benchmark's profile mode: every method call of the
// wrapped objects (the container's ports and the journal) is timed from call to settle and booked under the
// label current at the call (the running step), and the process's CPU time is booked per label as `cpu`.
// Only bench code uses it; production code is untouched.

export type CallTotals = Map<string, Map<string, { calls: number; ms: number }>>;

export class CallProfile {
  readonly totals: CallTotals = new Map();
  private current = 'idle';
  private cpuAtSwitch = process.cpuUsage();

  get label(): string {
    return this.current;
  }

  /** Switches the label; the process's CPU time (user + system) since the last switch is booked as `cpu` under the old one. */
  set label(next: string) {
    const used = process.cpuUsage(this.cpuAtSwitch);
    this.record('cpu', (used.user + used.system) / 1_000);
    this.cpuAtSwitch = process.cpuUsage();
    this.current = next;
  }

  record(method: string, ms: number): void {
    const byMethod = this.totals.get(this.current) ?? new Map<string, { calls: number; ms: number }>();
    this.totals.set(this.current, byMethod);
    const entry = byMethod.get(method) ?? { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += ms;
    byMethod.set(method, entry);
  }

  reset(): void {
    this.totals.clear();
    this.current = 'idle';
    this.cpuAtSwitch = process.cpuUsage();
  }

  /** A proxy of `target` whose function properties are timed as `<prefix>.<method>`. */
  wrap<T extends object>(target: T, prefix: string): T {
    return new Proxy(target, {
      get: (obj, key, receiver) => {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        return (...args: unknown[]) => this.time(`${prefix}.${key}`, () => Reflect.apply(value, obj, args));
      },
    });
  }

  /**
   * Replaces the named methods on the instance itself (for an object others already hold a reference to,
   * like the store the runner was built with).
   */
  patch(
    target: object,
    prefix: string,
    methods: readonly string[],
    onCall?: (method: string, args: unknown[]) => void,
  ): void {
    for (const method of methods) {
      const original: unknown = Reflect.get(target, method);
      if (typeof original !== 'function') continue;
      Reflect.set(target, method, (...args: unknown[]) => {
        onCall?.(method, args);
        return this.time(`${prefix}.${method}`, () => Reflect.apply(original, target, args));
      });
    }
  }

  private time(method: string, call: () => unknown): unknown {
    const t0 = performance.now();
    const result = call();
    if (result instanceof Promise) {
      return result.finally(() => this.record(method, performance.now() - t0));
    }
    this.record(method, performance.now() - t0);
    return result;
  }
}
