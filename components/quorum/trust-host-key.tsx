'use client';
import { useTranslations } from 'next-intl';
import { useState, useTransition } from 'react';
import { useCan } from '@/components/auth/caller-context';
import { trustHostKeyAction } from '@/lib/actions/trust-host-key-action';
import type { HostKeyChange } from '@/lib/core/assessment';

const button = 'rounded-md border px-2 py-0.5 text-xs font-medium disabled:cursor-not-allowed disabled:opacity-40';

/**
 * The way out of a changed host key, for admins only: after checking the key on the VM, pin the one the replica
 * presents. The server pins it only if it is still the key shown here; the page then reads the replica again.
 */
export function TrustHostKey({ clusterId, change }: { clusterId: string; change: HostKeyChange }) {
  const t = useTranslations('quorum.trustHostKey');
  const can = useCan('admin');
  const [confirming, setConfirming] = useState(false);
  const [pending, startBusy] = useTransition();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  if (!can.allowed) {
    return (
      <p className="mt-1 text-xs text-slate-500" data-testid="trust-host-key-hint">
        {t('hint')}
      </p>
    );
  }
  const trust = () =>
    startBusy(async () => {
      setNotice(null);
      const result = await trustHostKeyAction({ clusterId, ...change });
      setConfirming(false);
      setNotice(
        result.ok
          ? {
              ok: true,
              text: t('trusted', { fingerprint: result.data.fingerprint, replica: result.data.replica }),
            }
          : { ok: false, text: result.message },
      );
    });
  return (
    <div className="mt-1 space-y-1" data-testid="trust-host-key">
      {!confirming ? (
        <button
          type="button"
          className={`${button} border-amber-300 bg-amber-50 text-amber-900 hover:bg-amber-100`}
          onClick={() => setConfirming(true)}
          data-testid="trust-host-key-start"
        >
          {t.rich('start', {
            replica: change.replica,
            sr: (chunks) => <span className="sr-only">{chunks}</span>,
          })}
        </button>
      ) : (
        <div
          className="rounded-md border border-amber-300 bg-amber-50 p-2 text-xs text-amber-950"
          data-testid="trust-host-key-confirm"
        >
          <p>{t('pin', { replica: change.replica })}</p>
          <p className="font-mono break-all" data-testid="trust-host-key-new">
            {change.presentedFingerprint}
          </p>
          <p>{t('inPlaceOf')}</p>
          <p className="font-mono break-all text-amber-800">{change.pinnedFingerprint}</p>
          <p className="mt-1 font-medium">{t('onlyIfChecked')}</p>
          <div className="mt-1 flex gap-2">
            <button
              type="button"
              disabled={pending}
              className={`${button} border-amber-400 bg-white text-amber-900 hover:bg-amber-100`}
              onClick={trust}
              data-testid="trust-host-key-run"
            >
              {t('run')}
            </button>
            <button
              type="button"
              disabled={pending}
              className={`${button} border-slate-300 bg-white text-slate-700 hover:bg-slate-50`}
              onClick={() => setConfirming(false)}
            >
              {t('cancel')}
            </button>
          </div>
        </div>
      )}
      {notice && (
        <p
          role={notice.ok ? 'status' : 'alert'}
          data-testid="trust-host-key-notice"
          className={`text-xs ${notice.ok ? 'text-slate-600' : 'text-red-700'}`}
        >
          {notice.text}
        </p>
      )}
    </div>
  );
}
