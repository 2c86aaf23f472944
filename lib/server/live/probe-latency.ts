import 'server-only';
import { probeDeadlineMs, type ProbeDeadlineBounds } from '@/lib/core/probe-deadline';

/** The durations of this server's recent probes (lib/core/probe-deadline.ts turns them into the next deadline). */
export class ProbeLatency {
  private readonly samples: number[] = [];

  constructor(
    private readonly bounds: ProbeDeadlineBounds,
    private readonly keep = 200,
  ) {}

  /** A probe's duration; one that timed out is recorded as the deadline it had. */
  record(ms: number): void {
    this.samples.push(ms);
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
  }

  deadlineMs(): number {
    return probeDeadlineMs(this.samples, this.bounds);
  }
}
