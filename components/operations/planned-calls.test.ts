import { NextIntlClientProvider } from 'next-intl';
import { createElement, type ComponentProps } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { assessTopology } from '@/lib/core/assessment';
import { planOperation } from '@/lib/core/planner';
import { NOW, buildTopology, prodSpec } from '@/lib/core/testing/topology-builder';
import { en } from '@/messages';
import { PlannedCalls } from './planned-calls';

function addPlanCalls() {
  const t = buildTopology(prodSpec());
  const r = planOperation({
    topology: t,
    assessment: assessTopology(t, NOW),
    intent: { kind: 'add-replica', zone: 'europe-west1-c' },
    operationInProgress: false,
  });
  if (!r.ok) throw new Error(r.refusal.message);
  return r.plan.calls;
}

describe('PlannedCalls', () => {
  it('lists only the steps that change something, collapsed, says reads are not listed and which names are picked at run time', () => {
    const intl = { locale: 'en', messages: en, timeZone: 'UTC' } as ComponentProps<typeof NextIntlClientProvider>;
    const html = renderToStaticMarkup(
      createElement(NextIntlClientProvider, intl, createElement(PlannedCalls, { calls: addPlanCalls() })),
    );
    expect(html).toMatch(/^<details class="[^"]*" data-testid="planned-calls">/);
    expect(html).toContain('What it will change: 11 calls in 6 steps');
    expect(html).toContain('Reads (lists, status, probes) and retries of the same call are not listed.');
    expect(html).toContain('prod-master-??? stands for a name picked when the change runs.');
    expect(html.match(/data-testid="planned-calls-step"/g)).toHaveLength(6);
    expect(html).toContain('data-kind="create-instance"');
    expect(html).not.toContain('data-kind="await-learner-catch-up"');
    expect(html).toMatch(
      /instances\.insert<\/span> <span[^>]*>sandbox-project\/europe-west1-c\/prod-master-\?\?\?<\/span>/,
    );
    expect(html).toContain('MemberAddAsLearner');
  });
});
