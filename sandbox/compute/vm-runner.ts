// Drives the VM host for the emulator. Calls for one VM run strictly one after another (a reset is a
// shutdown then a boot; a stop may arrive while a boot is still launching), and a boot scheduled
// after SANDBOX_BOOT_DELAY_MS is dropped if the VM was shut down in the meantime.
import type { VmHost, VmSpec } from '../vm/types';

export class VmRunner {
  private readonly chains = new Map<string, Promise<void>>();
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
      void this.enqueue(spec.name, `boot ${spec.name}`, () => this.host.boot(spec));
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
    return this.enqueue(name, `shutdown ${name}`, () => this.host.shutdown(name));
  }

  /** Runs `task` after every VM call queued so far for `name` (e.g. remove a disk after shutdown). */
  after(name: string, what: string, task: () => Promise<void> | void): Promise<void> {
    return this.enqueue(name, what, async () => task());
  }

  /** Cancels pending delayed boots and waits for queued calls to finish. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.chains.values()]);
  }

  private bump(name: string): number {
    const next = (this.generations.get(name) ?? 0) + 1;
    this.generations.set(name, next);
    return next;
  }

  private enqueue(name: string, what: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(name) ?? Promise.resolve();
    const next = previous.then(task).catch((err: unknown) => {
      // A guest that fails to boot does not fail the Compute API call, as on GCE; say so in the log.
      this.log(`vm: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.chains.set(name, next);
    void next.then(() => {
      if (this.chains.get(name) === next) this.chains.delete(name);
    });
    return next;
  }
}
