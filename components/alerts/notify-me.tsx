'use client';
import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { severityWorsened } from '@/lib/core/alerts';
import type { Severity } from '@/lib/core/assessment';

const OPT_IN_KEY = 'quorum.notify';
const subscribeNothing = () => () => {};
type Permission = NotificationPermission | 'unsupported';

/**
 * Opt-in browser notifications for the page's worst state (lib/core/view.ts worstSeverityOf, fleetWorstSeverity):
 * "Notify me" asks the browser's permission, and from then on (remembered in this browser) a notification is shown
 * whenever the worst state shown here gets worse, into warning or critical, while the page stays open (a background
 * tab included). Renders nothing on the server and where the browser has no notifications.
 */
export function NotifyMe({ worst, subject, detail }: { worst: Severity | null; subject: string; detail?: string }) {
  const t = useTranslations('alerts.notifyMe');
  // Bumped after the permission prompt or a toggle: both are read from the browser at render.
  const [, setVersion] = useState(0);
  const permission = useSyncExternalStore<Permission | null>(
    subscribeNothing,
    () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
    () => null,
  );
  const optedIn = useSyncExternalStore(
    subscribeStorage,
    () => window.localStorage.getItem(OPT_IN_KEY) === 'on',
    () => false,
  );
  const on = optedIn && permission === 'granted';
  const previous = useRef<Severity | null | undefined>(undefined);

  useEffect(() => {
    const before = previous.current;
    previous.current = worst;
    if (!on || !severityWorsened(before, worst) || worst === null) return;
    const shown = new Notification(t('title', { subject, worst }), {
      body: detail ?? t('body', { subject, worst }),
      tag: `quorum:${subject}`,
    });
    shown.onclick = () => window.focus();
  }, [worst, on, subject, detail, t]);

  if (permission === null || permission === 'unsupported') return null;
  if (permission === 'denied') {
    return (
      <span className="text-xs text-slate-500" data-testid="notify-me" data-state="denied">
        {t('blocked')}
      </span>
    );
  }
  return (
    <button
      type="button"
      data-testid="notify-me"
      data-state={on ? 'on' : 'off'}
      aria-pressed={on}
      onClick={async () => {
        if (on) {
          window.localStorage.removeItem(OPT_IN_KEY);
        } else if ((await Notification.requestPermission()) === 'granted') {
          window.localStorage.setItem(OPT_IN_KEY, 'on');
        }
        setVersion((v) => v + 1);
      }}
      className="rounded-md border border-slate-300 px-2 py-1 text-xs text-slate-700 hover:bg-slate-50"
      title={on ? t('stop') : t('offer', { subject })}
    >
      {on ? t('on') : t('off')}
    </button>
  );
}

function subscribeStorage(onChange: () => void): () => void {
  window.addEventListener('storage', onChange);
  return () => window.removeEventListener('storage', onChange);
}
