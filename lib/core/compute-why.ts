// Quorum's words after Compute Engine's own message, for a failure that needs a person (a quota, a stockout, a
// permission) or that is sent again (a rate limit, a resource still changing, a failure on Google's side). The
// adapter (lib/adapters/gce/gce-errors.ts) appends the English in parentheses; an operation's log keeps the key and
// params beside it (lib/core/operation-log.ts, LogSaid.errorWhy), so the page says them in the reader's language
// (`operations.errorWhy.<key>`). Google's own message stays as it came. Absent values are `none`.
import { z } from 'zod';

export const COMPUTE_WHY_KEYS = ['quota', 'stockout', 'rateLimited', 'notReady', 'serverSide', 'permission'] as const;
export type ComputeWhyKey = (typeof COMPUTE_WHY_KEYS)[number];

export type ComputeWhy = { key: ComputeWhyKey; params: Readonly<Record<string, string>> };

export const computeWhySchema = z.object({
  key: z.enum(COMPUTE_WHY_KEYS),
  params: z.record(z.string(), z.string()),
});

const given = (v: string | undefined): v is string => v !== undefined && v !== 'none';

/** The English, as Quorum appends it after Google's message. */
export function computeWhyText(why: ComputeWhy): string {
  const p = why.params;
  switch (why.key) {
    case 'quota': {
      const what = given(p.quota)
        ? `Compute Engine quota ${p.quota}${given(p.limit) ? ` (limit ${p.limit})` : ''} is used up${given(p.region) ? ` in region ${p.region}` : ''}`
        : 'a Compute Engine quota is used up';
      return `${what} (QUOTA_EXCEEDED): free some of it or ask Google for more (IAM & Admin > Quotas${given(p.metric) ? `, metric ${p.metric}` : ''}), then run the change again.`;
    }
    case 'stockout':
      return `${given(p.zone) ? `zone ${p.zone}` : 'the zone'} has no capacity for this instance now (${p.reason ?? ''}, a stockout, not a quota): put the replica in another zone, or try this one later.`;
    case 'rateLimited':
      return "the project's Compute Engine API rate quota is used up for this minute; the call is sent again after a pause.";
    case 'notReady':
      return 'what the call acts on is still changing; the call is sent again after a pause.';
    case 'serverSide':
      return 'Compute Engine failed on its side; the call is sent again after a pause.';
    case 'permission':
      return given(p.permission)
        ? `Quorum's identity lacks the IAM permission ${p.permission}: grant it (a role that holds it) to Quorum's service account, then run the change again.`
        : "Quorum's identity is not allowed to do this: grant its service account the Compute Engine role the change needs, then run it again.";
  }
}

/**
 * `message` without Quorum's words for `why` at its end (` (<words>)`), or null when it does not end with them (a
 * step that put the error in a sentence of its own).
 */
export function withoutWhy(message: string, why: ComputeWhy): string | null {
  const suffix = ` (${computeWhyText(why)})`;
  return message.endsWith(suffix) ? message.slice(0, -suffix.length) : null;
}
