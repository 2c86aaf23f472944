import 'server-only';
import { z } from 'zod';
import {
  TIMELINE_DAYS,
  TIMELINE_GAP_MS,
  timelineStateOf,
  type TimelineEntry,
  type TimelineState,
} from '@/lib/core/timeline';
import type { ClusterView } from '@/lib/core/view';
import type { Store } from '@/lib/ports/store';
import { subscribeObservations } from './observations';

/** A state unchanged is written again (its `until` moved) at most this often per cluster: the strip's resolution. */
export const TIMELINE_WRITE_EVERY_MS = 15_000;

/**
 * Writes each cluster's observed states into the store, from every observation on the bus (live feeds, pages, the
 * background monitor): a new entry when the state changes, the last entry's `until` moved forward otherwise (at most
 * every TIMELINE_WRITE_EVERY_MS). In the store, so the history and an outage's start survive a restart.
 */
export class TimelineRecorder {
  private readonly last = new Map<string, { state: string; writtenAt: number }>();

  constructor(private readonly store: () => Pick<Store, 'recordTimeline'>) {}

  async observe(view: ClusterView): Promise<void> {
    const state = JSON.stringify(timelineStateOf(view));
    const at = Date.parse(view.topology.observedAt);
    const last = this.last.get(view.id);
    if (last && last.state === state && at - last.writtenAt < TIMELINE_WRITE_EVERY_MS) return;
    this.last.set(view.id, { state, writtenAt: at });
    await this.store().recordTimeline(view.id, view.topology.observedAt, state, {
      // Written every 15 s while unchanged: a longer silence is a gap (nobody observed the cluster).
      maxGapMs: TIMELINE_GAP_MS,
      keepSince: new Date(at - TIMELINE_DAYS * 24 * 3_600_000).toISOString(),
    });
  }
}

const KEY = Symbol.for('quorum.server.timeline-recorder');
type Holder = { [KEY]?: () => void };

/** Subscribes the recorder to the observation bus, once per process (instrumentation.ts). */
export function startTimelineRecorder(store: () => Pick<Store, 'recordTimeline'>): void {
  const holder = globalThis as Holder;
  if (holder[KEY]) return;
  const recorder = new TimelineRecorder(store);
  holder[KEY] = subscribeObservations((view) =>
    recorder
      .observe(view)
      .catch((error: unknown) =>
        console.warn(`[timeline] ${view.id}: ${error instanceof Error ? error.message : String(error)}`),
      ),
  );
}

const stateSchema: z.ZodType<TimelineState> = z.object({
  canLoseReplicas: z.number(),
  canLoseZones: z.number(),
  quorumLost: z.boolean(),
  replicas: z.record(z.string(), z.enum(['healthy', 'unhealthy', 'unknown'])),
  leader: z.string().nullable(),
  worst: z.enum(['critical', 'warning', 'info']).nullable(),
});

/** A cluster's timeline over the last `days` days, parsed (a row this version cannot read is left out). */
export async function readTimeline(
  store: Pick<Store, 'timeline'>,
  clusterId: string,
  now: Date,
  days = TIMELINE_DAYS,
): Promise<TimelineEntry[]> {
  const rows = await store.timeline(clusterId, new Date(now.getTime() - days * 24 * 3_600_000).toISOString());
  return rows.flatMap((r) => {
    const state = stateSchema.safeParse(JSON.parse(r.state));
    return state.success ? [{ at: r.at, until: r.until, state: state.data }] : [];
  });
}
