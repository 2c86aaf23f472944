// Drives the VM host for the emulator. Calls go to the host in the order the API asked for them (the
// host orders the work of one VM itself, and a shutdown must reach it at once to cancel a boot still
// in progress). A boot scheduled after SANDBOX_BOOT_DELAY_MS is dropped if the VM was shut down in
// the meantime. Failures are logged, never thrown: a guest's trouble does not fail the API call.
import type { VmHost, VmSpec } from '../vm/types';

export class VmRunner {
  private readonly pending = new Map<string, Set<Promise<void>>>();
  private readonly generations = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly host: VmHost,
    private readonly log: (msg: string) => void,
  ) {}

  boot(spec: VmSpec, delayMs: number): void {
    const generation = this.bump(spec.name);
    const launch = () => {
      if (this.generations.get(spec.name) !== generation) return;
      void this.track(spec.name, `boot ${spec.name}`, () => this.host.boot(spec));
    };
    if (delayMs <= 0) {
      launch();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      launch();
    }, delayMs);
    this.timers.add(timer);
  }

  shutdown(name: string): Promise<void> {
    this.bump(name);
    return this.track(name, `shutdown ${name}`, () => this.host.shutdown(name));
  }

  /** Cancels pending delayed boots and waits for calls in flight. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.pending.values()].flatMap((s) => [...s]));
  }

  private bump(name: string): number {
    const next = (this.generations.get(name) ?? 0) + 1;
    this.generations.set(name, next);
    return next;
  }

  private track(name: string, what: string, call: () => Promise<void>): Promise<void> {
    const set = this.pending.get(name) ?? new Set<Promise<void>>();
    this.pending.set(name, set);
    const p: Promise<void> = Promise.resolve()
      .then(call)
      .catch((err: unknown) => {
        // A guest that fails does not fail the Compute API call, as on GCE; say so in the log.
        this.log(`vm: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        set.delete(p);
        if (set.size === 0 && this.pending.get(name) === set) this.pending.delete(name);
      });
    set.add(p);
    return p;
  }
}
