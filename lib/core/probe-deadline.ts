// How long a probe waits for an answer: long enough for this dashboard's own measured latency (a busy host makes
// every answer slower, and a slow answer is not a failed replica), short enough that silence shows within seconds.

export type ProbeDeadlineBounds = {
  /** The floor, and the deadline while there are too few measurements. */
  minMs: number;
  maxMs: number;
};

/** Measurements needed before they move the deadline. */
export const MIN_SAMPLES = 10;
/** The deadline is this many times the 90th percentile of recent probe durations. */
export const P90_FACTOR = 4;

/**
 * The probe deadline for recent probe durations (a probe that timed out counts as the deadline it had, so a run of
 * time-outs raises the next deadline instead of hiding the latency): P90_FACTOR times their 90th percentile, within
 * the bounds.
 */
export function probeDeadlineMs(samplesMs: readonly number[], bounds: ProbeDeadlineBounds): number {
  if (samplesMs.length < MIN_SAMPLES) return bounds.minMs;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)] ?? 0;
  return Math.round(Math.min(bounds.maxMs, Math.max(bounds.minMs, P90_FACTOR * p90)));
}
