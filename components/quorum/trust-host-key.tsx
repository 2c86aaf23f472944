'use client';
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
  const can = useCan('admin');
  const [confirming, setConfirming] = useState(false);
  const [pending, startBusy] = useTransition();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  if (!can.allowed) {
    return (
      <p className="mt-1 text-xs text-slate-500" data-testid="trust-host-key-hint">
        An admin can trust the new host key here once it is checked on the VM.
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
          ? { ok: true, text: `Trusted ${result.data.fingerprint} for ${result.data.replica}; Quorum connects again.` }
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
          Trust the new host key<span className="sr-only"> of {change.replica}</span>…
        </button>
      ) : (
        <div
          className="rounded-md border border-amber-300 bg-amber-50 p-2 text-xs text-amber-950"
          data-testid="trust-host-key-confirm"
        >
          <p>Pin the key {change.replica} presents now</p>
          <p className="font-mono break-all" data-testid="trust-host-key-new">
            {change.presentedFingerprint}
          </p>
          <p>in place of the pinned</p>
          <p className="font-mono break-all text-amber-800">{change.pinnedFingerprint}</p>
          <p className="mt-1 font-medium">Only if you checked it on the VM (its serial console).</p>
          <div className="mt-1 flex gap-2">
            <button
              type="button"
              disabled={pending}
              className={`${button} border-amber-400 bg-white text-amber-900 hover:bg-amber-100`}
              onClick={trust}
              data-testid="trust-host-key-run"
            >
              Trust this key
            </button>
            <button
              type="button"
              disabled={pending}
              className={`${button} border-slate-300 bg-white text-slate-700 hover:bg-slate-50`}
              onClick={() => setConfirming(false)}
            >
              Cancel
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
