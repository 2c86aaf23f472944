'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { healthChanges, type HealthState } from '@/lib/core/health-announcement';

/**
 * A polite live region that says when a cluster's worst state or tolerance changes ("prod-master: warning, can
 * lose 0 replicas and 0 zones."), in the page's language, and stays quiet on observations that change neither. Empty
 * on the first render, on the server as in the browser: the page is read when it opens.
 */
export function HealthAnnouncer({ states }: { states: HealthState[] }) {
  const tc = useTranslations('common');
  const key = JSON.stringify(states);
  const [seen, setSeen] = useState({ key, states });
  const [message, setMessage] = useState('');
  // Compared while rendering (React's "adjust state when a prop changes"): no effect, no extra paint.
  if (seen.key !== key) {
    setSeen({ key, states });
    const changes = healthChanges(seen.states, states).map((h) =>
      h.state === 'unobserved'
        ? tc('healthAnnouncement.unobserved', { name: h.name })
        : tc('healthAnnouncement.announce', {
            name: h.name,
            state: h.state,
            tolerance: tc('tolerance.canLose', { replicas: h.canLoseReplicas, zones: h.canLoseZones }),
          }),
    );
    if (changes.length > 0) setMessage(changes.join(' '));
  }
  return (
    <div role="status" aria-live="polite" aria-atomic="true" className="sr-only" data-testid="health-announcement">
      {message}
    </div>
  );
}
