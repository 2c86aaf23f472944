import { NextIntlClientProvider } from 'next-intl';
import { createElement, type ComponentProps, type ReactElement } from 'react';
import { renderToStaticMarkup as renderBare } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PACE, type ProjectBudget, type RateLimitsView } from '@/lib/core/rate-limit';
import { en } from '@/messages';
import { ActionLimits, ComputeBudgetTable } from './compute-budget-table';

const budget = (project: string, over: Partial<ProjectBudget> = {}): ProjectBudget => ({
  project,
  capacity: 40,
  ratePerSecond: 20,
  tokens: 40,
  waiting: 0,
  granted: 0,
  grantedTokens: 0,
  waited: 0,
  totalWaitMs: 0,
  lastWait: null,
  refused: 0,
  lanes: {
    operation: { granted: 0, waited: 0, totalWaitMs: 0, maxWaitMs: 0 },
    observe: { granted: 0, waited: 0, totalWaitMs: 0, maxWaitMs: 0 },
  },
  requestsByGroup: { read: 0, list: 0, operationRead: 0, mutation: 0 },
  rateLimited: 0,
  pausedUntil: null,
  ...over,
});

const view = (budgets: ProjectBudget[]): RateLimitsView => ({
  observedAt: '2026-11-26T05:00:10.000Z',
  compute: { ratePerSecond: 20, burst: 40, maxWaitMs: 10_000, operationShare: 0.4, perMinute: 3_000, budgets },
  pace: DEFAULT_PACE,
  actions: { perMinute: 30, burst: 10 },
  previews: { perMinute: 20, burst: 5 },
});

/** As the page renders it: inside the layout's next-intl provider, in English. */
function renderToStaticMarkup(node: ReactElement): string {
  const props: ComponentProps<typeof NextIntlClientProvider> = {
    locale: 'en',
    messages: en,
    timeZone: 'UTC',
    children: node,
  };
  return renderBare(createElement(NextIntlClientProvider, props));
}

/** Each row's cells as text, by project. */
function rows(html: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [, project, body] of html.matchAll(
    /data-testid="compute-budget-row" data-project="([^"]+)"[^>]*>(.*?)<\/tr>/g,
  )) {
    out[project ?? ''] = [...(body ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, cell]) =>
      (cell ?? '').replace(/<[^>]+>/g, '').replace(/<!-- -->/g, ''),
    );
  }
  return out;
}

describe('ComputeBudgetTable', () => {
  it('shows each project with its tokens, calls, waits and whether live views are slowed', () => {
    const html = renderToStaticMarkup(
      createElement(ComputeBudgetTable, {
        view: view([
          budget('p-idle'),
          budget('p-low', {
            tokens: 12.7,
            granted: 300,
            waited: 20,
            totalWaitMs: 4_250,
            lastWait: { ms: 350, at: '2026-11-26T05:00:05.000Z' },
          }),
          budget('p-queued', {
            tokens: -3.2,
            waiting: 3,
            granted: 90,
            waited: 50,
            totalWaitMs: 61_000,
            refused: 2,
            lastWait: { ms: 160, at: '2026-11-26T05:00:10.000Z' },
            lanes: {
              operation: { granted: 12, waited: 1, totalWaitMs: 120, maxWaitMs: 120 },
              observe: { granted: 78, waited: 49, totalWaitMs: 60_880, maxWaitMs: 4_000 },
            },
          }),
          budget('p-paused', { rateLimited: 1, pausedUntil: '2026-11-26T05:00:11.000Z' }),
        ]),
      }),
    );
    expect(html).toContain('data-testid="compute-budget"');
    expect(html.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, '')).toContain(
      'waits for its turn (at most 10 s, then it fails). Below 50% of a bucket, live views of that project refresh less often (up to every 30 s)',
    );
    expect(html.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, '')).toContain(
      '40% of the rate is reserved for running operations: their calls never wait behind live views',
    );
    expect(rows(html)).toEqual({
      'p-idle': ['p-idle', '40 / 40', '20/s', '0', '0', '0 ms', '—', '—', '0', 'ok'],
      'p-low': ['p-low', '12 / 40', '20/s', '300', '20', '4.3 s', '350 ms, 5s ago', '—', '0', 'low: live views slowed'],
      'p-queued': [
        'p-queued',
        '0 / 40',
        '20/s',
        '90',
        '50',
        '61 s',
        '160 ms, just now',
        '12, longest wait 120 ms',
        '2',
        '3 calls waiting',
      ],
      'p-paused': [
        'p-paused',
        '40 / 40',
        '20/s',
        '0',
        '0',
        '0 ms',
        '—',
        '—',
        '0',
        'paused: Compute said rateLimitExceeded',
      ],
    });
  });

  it('says when no call has been made yet', () => {
    expect(renderToStaticMarkup(createElement(ComputeBudgetTable, { view: view([]) }))).toContain(
      'No Compute API call yet.',
    );
  });
});

describe('ActionLimits', () => {
  it('states the per-user limits in force', () => {
    const html = renderToStaticMarkup(createElement(ActionLimits, { view: view([]) })).replace(/<!-- -->/g, '');
    expect(html).toContain('data-per-minute="30"');
    expect(html.replace(/<[^>]+>/g, '')).toContain(
      'may start 10 changes (operations, chaos controls) in a row, then 30 per minute',
    );
    expect(html.replace(/<[^>]+>/g, '')).toContain('ask for 5 plan previews in a row, then 20 per minute');
  });
});
