import { NextIntlClientProvider } from 'next-intl';
import { createElement, type ComponentProps, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { outcomeWordsIn } from '@/components/operations/log-words';
import { planTextIn } from '@/components/wizards/use-plan-text';
import { logLine } from '@/lib/core/operation-log';
import type { AuditEntry, StoredPlan } from '@/lib/ports/store';
import { catalogs } from '@/messages';
import { catalogTranslator } from '@/tests/support/catalog-words';
import { AuditTable } from './audit-table';

const now = new Date('2026-11-26T05:00:00.000Z');
const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: 1,
  at: '2026-11-26T04:55:00.250Z',
  actor: 'ops@example.com',
  action: 'operation.add-replica',
  clusterId: 'sandbox-project~europe-west1~prod-master',
  operationId: null,
  outcome: 'succeeded',
  detail: null,
  source: null,
  ...over,
});

/** As the page renders it: inside the layout's next-intl provider, in English unless told. */
function inLocale(node: ReactNode, locale: 'en' | 'zh-CN' = 'en'): string {
  const props: ComponentProps<typeof NextIntlClientProvider> = {
    locale,
    messages: catalogs[locale],
    timeZone: 'UTC',
    children: node,
  };
  return renderToStaticMarkup(createElement(NextIntlClientProvider, props));
}

function render(entries: AuditEntry[], locale: 'en' | 'zh-CN' = 'en'): string {
  return inLocale(createElement(AuditTable, { entries, now, form: { outcome: 'refused' } }), locale);
}

describe('AuditTable', () => {
  it('renders one row per entry with its outcome and action, time in UTC to the second with its age', () => {
    const html = render([
      entry({ id: 2, outcome: 'refused', action: 'operation.remove-replica', source: '203.0.113.7' }),
      entry({ id: 1 }),
    ]);
    expect(html).toContain('data-testid="audit-table"');
    expect(html.match(/data-testid="audit-row"/g)).toHaveLength(2);
    expect(html).toContain('data-outcome="refused" data-action="operation.remove-replica"');
    expect(html).toContain('data-outcome="succeeded" data-action="operation.add-replica"');
    expect(html).toContain('2026-11-26 04:55:00 UTC');
    expect(html).toContain('4m59s ago');
    expect(html).toContain('203.0.113.7');
    // No source reads as a dash, not as an empty cell.
    expect(html).toContain('>—<');
  });

  it('links the cluster and the operation, and filters by actor keeping the current filters', () => {
    const html = render([entry({ operationId: '0f8e2f0c-1111-4222-8333-444455556666' })]);
    expect(html).toContain('href="/clusters/sandbox-project~europe-west1~prod-master"');
    expect(html).toContain('>prod-master<');
    expect(html).toContain(
      'href="/clusters/sandbox-project~europe-west1~prod-master/operations/0f8e2f0c-1111-4222-8333-444455556666"',
    );
    expect(html).toContain('href="/audit?actor=ops%40example.com&amp;outcome=refused"');
  });

  it("says a refusal's code and message in words and keeps the rest as JSON behind a disclosure", () => {
    const html = render([
      entry({
        outcome: 'refused',
        detail: { code: 'Forbidden', message: 'A viewer changes nothing.', intent: { kind: 'add-replica' } },
      }),
    ]);
    expect(html).toContain('Forbidden</span>: A viewer changes nothing.');
    // The disclosure says whose detail it opens (every row has one), to screen readers only.
    expect(html).toMatch(
      /<details[^>]*><summary[^>]*>more<span class="sr-only"> of entry (<!-- -->)?\d+<\/span><\/summary><pre[^>]*>\{&quot;intent&quot;:\{&quot;kind&quot;:&quot;add-replica&quot;\}\}<\/pre><\/details>/,
    );
  });

  it("says an operation's summary as it is, and names an override's reason and an error", () => {
    const html = render([
      entry({ outcome: 'failed', detail: { summary: 'Stopped at step 4.', error: 'quota exceeded' } }),
      entry({ id: 2, action: 'backup.gate-overridden', detail: { reason: 'disk full, approved', error: 'ENOSPC' } }),
    ]);
    expect(html).toContain('<p data-testid="audit-summary">Stopped at step 4.</p>');
    expect(html).toContain('<p class="text-red-800"><span class="font-medium">error: </span>quota exceeded</p>');
    expect(html).toContain('<span class="font-medium">reason: </span>disk full, approved</p>');
  });

  it('shows no cluster link for an entry without a cluster, and escapes what users typed', () => {
    const html = render([
      entry({ clusterId: null, actor: '<script>alert(1)</script>', detail: { summary: '<b>x</b>' } }),
    ]);
    expect(html).not.toContain('/clusters/');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x</b>');
  });

  it('speaks Chinese in a Chinese page, the data as it is', () => {
    const html = render(
      [entry({ outcome: 'failed', detail: { summary: 'Stopped at step 4.', error: 'quota exceeded' } })],
      'zh-CN',
    );
    expect(html).toContain('>时间<');
    expect(html).toContain('>失败<');
    expect(html).toContain('4m59s前');
    expect(html).toContain('<span class="font-medium">错误：</span>quota exceeded</p>');
    expect(html).toContain('data-action="operation.add-replica"');
  });
});

describe("AuditTable: an operation's outcome", () => {
  const succeeded = logLine('succeeded', { steps: '11' });
  const op = { plan: { steps: [] } as unknown as StoredPlan, summary: succeeded.text, summarySaid: succeeded.said };

  it("reads in the reader's language as on the operation page, the English record as its title", () => {
    const words = outcomeWordsIn(
      catalogTranslator('operations', 'zh-CN'),
      planTextIn(catalogTranslator('plans', 'zh-CN'), 'zh-CN'),
    )(op);
    expect(words).toBe('成功：全部 11 个步骤已完成。');
    const html = inLocale(
      createElement(AuditTable, {
        entries: [
          entry({ id: 3, operationId: 'op-1', detail: { summary: succeeded.text } }),
          // Another operation whose outcome was not read, and a summary that is not the operation's record: as written.
          entry({ id: 2, operationId: 'op-2', detail: { summary: 'Succeeded: all 8 steps done.' } }),
          entry({ id: 1, operationId: 'op-1', detail: { summary: 'Succeeded.' } }),
        ],
        now,
        form: {},
        outcomes: { 'op-1': { english: succeeded.text, words } },
      }),
      'zh-CN',
    );
    expect(html).toContain(
      `title="Succeeded: all 11 steps done." data-testid="audit-summary">成功：全部 11 个步骤已完成。</p>`,
    );
    expect(html).toContain('data-testid="audit-summary">Succeeded: all 8 steps done.</p>');
    expect(html).toContain('data-testid="audit-summary">Succeeded.</p>');
    expect(html).not.toContain('>Succeeded: all 11 steps done.<');
  });

  it('in English is the record itself, without a title', () => {
    const words = outcomeWordsIn(
      catalogTranslator('operations', 'en'),
      planTextIn(catalogTranslator('plans', 'en'), 'en'),
    )(op);
    expect(words).toBe(succeeded.text);
    const html = render([entry({ operationId: 'op-1', detail: { summary: succeeded.text } })]);
    expect(html).toContain('data-testid="audit-summary">Succeeded: all 11 steps done.</p>');
  });
});

describe("AuditTable: better-auth's refusals", () => {
  const refused = (code: string, message: string) =>
    entry({ outcome: 'refused', action: 'auth.sign-in', clusterId: null, detail: { code, message } });

  it("reads a code Quorum knows in the reader's language, the record as its title; any other code as recorded", () => {
    const html = render(
      [
        refused('INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password'),
        refused('BANNED_USER', 'You have been banned from this application'),
        refused('SOME_NEW_CODE', 'Something new'),
      ],
      'zh-CN',
    );
    expect(html).toContain('title="Invalid email or password" data-testid="audit-reason"');
    expect(html).toContain('INVALID_EMAIL_OR_PASSWORD</span>: 邮箱或密码错误</p>');
    expect(html).toContain('BANNED_USER</span>: 该账号已停用</p>');
    expect(html).toContain(
      '<p data-testid="audit-reason"><span class="font-mono font-semibold text-amber-900">SOME_NEW_CODE</span>: Something new</p>',
    );
  });
});
