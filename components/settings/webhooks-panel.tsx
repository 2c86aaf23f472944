'use client';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { addWebhookAction } from '@/lib/actions/add-webhook-action';
import { deleteWebhookAction } from '@/lib/actions/delete-webhook-action';
import { sendTestNotificationAction } from '@/lib/actions/send-test-notification-action';
import { setWebhookEnabledAction } from '@/lib/actions/set-webhook-enabled-action';
import { WEBHOOK_FORMATS, type WebhookDelivery, type WebhookFormat, type WebhookView } from '@/lib/core/alerts';
import { formatUtcDateTime } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { TableHead } from '@/components/ui/table-head';
import { useFormatAgo } from '@/components/ui/use-format-ago';
import type { DomainErrorCode } from '@/lib/core/errors';
import type { PlanParams } from '@/lib/core/planner';
import { usePlanText } from '@/components/wizards/use-plan-text';

/** Slack's label is its payload's shape, the same in every language. */
const SLACK_FORMAT_LABEL = 'Slack ({"text": …})';

function LastDelivery({ delivery, now }: { delivery: WebhookDelivery | null; now: Date }) {
  const t = useTranslations('settings.webhooks');
  const formatAgo = useFormatAgo();
  if (!delivery) return <span className="text-slate-500">{t('noDelivery')}</span>;
  return (
    <span className="flex flex-col gap-0.5">
      <span className="flex items-center gap-1.5">
        <Badge tone={delivery.ok ? 'good' : 'bad'}>{delivery.ok ? t('delivered') : t('failed')}</Badge>
        <span className="text-xs">{delivery.message}</span>
      </span>
      <span className="text-xs text-slate-500" title={formatUtcDateTime(delivery.at)}>
        {t('deliveryWhen', {
          test: delivery.test ? 'yes' : 'no',
          ago: formatAgo(delivery.at, now),
          retried: delivery.attempts > 1 ? 'yes' : 'no',
          attempts: delivery.attempts,
        })}
      </span>
    </span>
  );
}

const EMPTY_FORM = { name: '', url: '', format: 'alertmanager' as WebhookFormat, secret: '', enabled: true };

/**
 * Where alert notifications go (admins only): the webhooks with their latest delivery, a form to add one, and per
 * webhook "Send test", pause/resume and delete. Every change goes through an audited admin action; a bearer token
 * is sent to the server once and never shown again.
 */
export function WebhooksPanel({ webhooks, now }: { webhooks: WebhookView[]; now: string }) {
  const t = useTranslations('settings.webhooks');
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState(EMPTY_FORM);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const at = new Date(now);
  const text = usePlanText();
  const run = (
    what: () => Promise<
      | { ok: true; text: string }
      | {
          ok: false;
          message: string;
          code?: DomainErrorCode;
          params?: PlanParams;
          fieldErrors?: Record<string, string[]>;
        }
    >,
  ) =>
    start(async () => {
      const result = await what();
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      // An action's refusal in the reader's language; a test delivery's failure is worded here already.
      setMessage(
        result.ok
          ? { ok: true, text: result.text }
          : {
              ok: false,
              text: text.refusal({ code: result.code ?? null, message: result.message, params: result.params }),
            },
      );
      router.refresh();
    });
  const fieldError = (name: string) => fieldErrors[name]?.join(' ');
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">{t.rich('intro', { strong: (chunks) => <strong>{chunks}</strong> })}</p>
      {webhooks.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="webhooks-empty">
          {t('empty')}
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="webhooks-table">
            <TableHead
              columns={[
                t('columns.name'),
                t('columns.address'),
                t('columns.format'),
                t('columns.token'),
                t('columns.lastDelivery'),
                t('columns.actions'),
              ]}
              compact
            />
            <tbody>
              {webhooks.map((w) => (
                <tr
                  key={w.id}
                  className="border-t border-slate-100 align-top"
                  data-testid="webhook-row"
                  data-name={w.name}
                  data-enabled={w.enabled ? 'true' : 'false'}
                >
                  <td className="py-2 pr-3 font-medium">
                    {w.name}
                    {!w.enabled && (
                      <span className="ml-1.5">
                        <Badge tone="neutral">{t('paused')}</Badge>
                      </span>
                    )}
                  </td>
                  <td className="py-2 pr-3 font-mono text-xs break-all">{w.url}</td>
                  <td className="py-2 pr-3 text-xs">{w.format === 'slack' ? 'Slack' : 'Alertmanager'}</td>
                  <td className="py-2 pr-3 text-xs">{w.hasSecret ? t('tokenSet') : t('tokenNone')}</td>
                  <td className="py-2 pr-3" data-testid="webhook-last-delivery">
                    <LastDelivery delivery={w.lastDelivery} now={at} />
                  </td>
                  <td className="py-2">
                    <span className="flex flex-wrap gap-1.5 text-xs">
                      <button
                        type="button"
                        disabled={pending}
                        onClick={() =>
                          run(async () => {
                            const r = await sendTestNotificationAction({ id: w.id });
                            if (!r.ok) return r;
                            return r.data.delivered
                              ? { ok: true, text: t('testDelivered', { name: w.name, message: r.data.message }) }
                              : { ok: false, message: t('testFailed', { name: w.name, message: r.data.message }) };
                          })
                        }
                        className="rounded border border-slate-300 px-1.5 py-0.5 disabled:opacity-50"
                      >
                        {t.rich('sendTest', {
                          name: w.name,
                          sr: (chunks) => <span className="sr-only">{chunks}</span>,
                        })}
                      </button>
                      <button
                        type="button"
                        disabled={pending}
                        onClick={() =>
                          run(async () => {
                            const r = await setWebhookEnabledAction({ id: w.id, enabled: !w.enabled });
                            return r.ok
                              ? {
                                  ok: true,
                                  text: w.enabled
                                    ? t('pausedDone', { name: w.name })
                                    : t('resumedDone', { name: w.name }),
                                }
                              : r;
                          })
                        }
                        className="rounded border border-slate-300 px-1.5 py-0.5 disabled:opacity-50"
                      >
                        {w.enabled ? t('pause') : t('resume')}
                        <span className="sr-only"> {w.name}</span>
                      </button>
                      <button
                        type="button"
                        disabled={pending}
                        onClick={() =>
                          run(async () => {
                            const r = await deleteWebhookAction({ id: w.id });
                            return r.ok ? { ok: true, text: t('deleted', { name: w.name }) } : r;
                          })
                        }
                        className="rounded border border-red-300 px-1.5 py-0.5 text-red-700 disabled:opacity-50"
                      >
                        {t('delete')}
                        <span className="sr-only"> {w.name}</span>
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        className="grid gap-2 text-sm sm:grid-cols-2"
        data-testid="add-webhook"
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            const r = await addWebhookAction(form);
            if (!r.ok) return r;
            setForm(EMPTY_FORM);
            return { ok: true, text: t('added', { name: form.name }) };
          });
        }}
      >
        <label className="block">
          <span className="text-slate-700">{t('form.name')}</span>
          <input
            name="name"
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            required
            maxLength={80}
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
          {fieldError('name') && <span className="text-xs text-red-700">{fieldError('name')}</span>}
        </label>
        <label className="block">
          <span className="text-slate-700">{t('form.address')}</span>
          <input
            name="url"
            type="url"
            value={form.url}
            onChange={(e) => setForm({ ...form, url: e.target.value })}
            required
            placeholder="https://alertmanager.example.com/api/v2/…"
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs"
          />
          {fieldError('url') && <span className="text-xs text-red-700">{fieldError('url')}</span>}
        </label>
        <label className="block">
          <span className="text-slate-700">{t('form.format')}</span>
          <select
            name="format"
            value={form.format}
            onChange={(e) => setForm({ ...form, format: e.target.value === 'slack' ? 'slack' : 'alertmanager' })}
            className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5"
          >
            {WEBHOOK_FORMATS.map((f) => (
              <option key={f} value={f}>
                {f === 'slack' ? SLACK_FORMAT_LABEL : t('form.alertmanagerFormat')}
              </option>
            ))}
          </select>
        </label>
        <label className="block">
          <span className="text-slate-700">{t('form.token')}</span>
          <input
            name="secret"
            type="password"
            autoComplete="off"
            value={form.secret}
            onChange={(e) => setForm({ ...form, secret: e.target.value })}
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
          {fieldError('secret') && <span className="text-xs text-red-700">{fieldError('secret')}</span>}
        </label>
        <label className="flex items-center gap-2">
          <input
            name="enabled"
            type="checkbox"
            checked={form.enabled}
            onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
          />
          <span className="text-slate-700">{t('form.enabled')}</span>
        </label>
        <div className="sm:text-right">
          <button
            type="submit"
            disabled={pending}
            className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
          >
            {t('form.submit')}
          </button>
        </div>
      </form>
      {message && (
        <p
          role={message.ok ? 'status' : 'alert'}
          data-testid="webhooks-message"
          className={`text-sm ${message.ok ? 'text-emerald-800' : 'text-red-700'}`}
        >
          {message.text}
        </p>
      )}
    </div>
  );
}
