'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { addWebhookAction } from '@/lib/actions/add-webhook-action';
import { deleteWebhookAction } from '@/lib/actions/delete-webhook-action';
import { sendTestNotificationAction } from '@/lib/actions/send-test-notification-action';
import { setWebhookEnabledAction } from '@/lib/actions/set-webhook-enabled-action';
import { WEBHOOK_FORMATS, type WebhookDelivery, type WebhookFormat, type WebhookView } from '@/lib/core/alerts';
import { formatAgo, formatUtcDateTime } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { TableHead } from '@/components/ui/table-head';

const FORMAT_LABELS: Record<WebhookFormat, string> = {
  alertmanager: 'Alertmanager JSON (version 4)',
  slack: 'Slack ({"text": …})',
};

function LastDelivery({ delivery, now }: { delivery: WebhookDelivery | null; now: Date }) {
  if (!delivery) return <span className="text-slate-500">none yet</span>;
  return (
    <span className="flex flex-col gap-0.5">
      <span className="flex items-center gap-1.5">
        <Badge tone={delivery.ok ? 'good' : 'bad'}>{delivery.ok ? 'delivered' : 'failed'}</Badge>
        <span className="text-xs">{delivery.message}</span>
      </span>
      <span className="text-xs text-slate-500" title={formatUtcDateTime(delivery.at)}>
        {delivery.test ? 'test, ' : ''}
        {formatAgo(delivery.at, now)}
        {delivery.attempts > 1 ? `, ${delivery.attempts} attempts` : ''}
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
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState(EMPTY_FORM);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const at = new Date(now);
  const run = (
    what: () => Promise<
      { ok: true; text: string } | { ok: false; message: string; fieldErrors?: Record<string, string[]> }
    >,
  ) =>
    start(async () => {
      const result = await what();
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      setMessage(result.ok ? { ok: true, text: result.text } : { ok: false, text: result.message });
      router.refresh();
    });
  const fieldError = (name: string) => fieldErrors[name]?.join(' ');
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        Each alert that starts is posted once as <strong>firing</strong>, and once as <strong>resolved</strong> after
        two observations without it, to every enabled webhook: Alertmanager&apos;s webhook JSON (version 4, grouped by
        cluster) or Slack&apos;s incoming-webhook form. A post that gets no answer within 5 s, or a 5xx, is tried again
        three times.
      </p>
      {webhooks.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="webhooks-empty">
          No webhook yet: alerts are only shown here and on the cluster pages.
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="webhooks-table">
            <TableHead columns={['name', 'address', 'format', 'bearer token', 'last delivery', 'actions']} compact />
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
                        <Badge tone="neutral">paused</Badge>
                      </span>
                    )}
                  </td>
                  <td className="py-2 pr-3 font-mono text-xs break-all">{w.url}</td>
                  <td className="py-2 pr-3 text-xs">{w.format === 'slack' ? 'Slack' : 'Alertmanager'}</td>
                  <td className="py-2 pr-3 text-xs">{w.hasSecret ? 'set' : 'none'}</td>
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
                              ? { ok: true, text: `Test notification delivered to ${w.name}: ${r.data.message}.` }
                              : { ok: false, message: `Test notification to ${w.name} failed: ${r.data.message}.` };
                          })
                        }
                        className="rounded border border-slate-300 px-1.5 py-0.5 disabled:opacity-50"
                      >
                        Send test<span className="sr-only"> to {w.name}</span>
                      </button>
                      <button
                        type="button"
                        disabled={pending}
                        onClick={() =>
                          run(async () => {
                            const r = await setWebhookEnabledAction({ id: w.id, enabled: !w.enabled });
                            return r.ok ? { ok: true, text: `${w.name} is ${w.enabled ? 'paused' : 'on again'}.` } : r;
                          })
                        }
                        className="rounded border border-slate-300 px-1.5 py-0.5 disabled:opacity-50"
                      >
                        {w.enabled ? 'Pause' : 'Resume'}
                        <span className="sr-only"> {w.name}</span>
                      </button>
                      <button
                        type="button"
                        disabled={pending}
                        onClick={() =>
                          run(async () => {
                            const r = await deleteWebhookAction({ id: w.id });
                            return r.ok ? { ok: true, text: `${w.name} is deleted.` } : r;
                          })
                        }
                        className="rounded border border-red-300 px-1.5 py-0.5 text-red-700 disabled:opacity-50"
                      >
                        Delete<span className="sr-only"> {w.name}</span>
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
            return { ok: true, text: `Added ${form.name}. Send it a test to see that it arrives.` };
          });
        }}
      >
        <label className="block">
          <span className="text-slate-700">Name</span>
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
          <span className="text-slate-700">Address (http or https)</span>
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
          <span className="text-slate-700">Format</span>
          <select
            name="format"
            value={form.format}
            onChange={(e) => setForm({ ...form, format: e.target.value === 'slack' ? 'slack' : 'alertmanager' })}
            className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5"
          >
            {WEBHOOK_FORMATS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </label>
        <label className="block">
          <span className="text-slate-700">Bearer token (optional; sent as Authorization, never shown again)</span>
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
          <span className="text-slate-700">Enabled</span>
        </label>
        <div className="sm:text-right">
          <button
            type="submit"
            disabled={pending}
            className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50"
          >
            Add webhook
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
