'use client';
import { useEffect } from 'react';
import type { Severity } from '@/lib/core/assessment';
import { healthTitle } from '@/lib/core/view';

/**
 * Puts the page's worst state in front of the tab's title while the page is open (lib/core/view.ts healthTitle).
 * Next sets the title itself after a client navigation, possibly after this effect: the head is watched and the
 * prefix put back whenever the title loses it.
 */
export function useHealthTitle(worst: Severity | null): void {
  useEffect(() => {
    const apply = () => {
      const want = healthTitle(document.title, worst);
      if (document.title !== want) document.title = want;
    };
    apply();
    const watcher = new MutationObserver(apply);
    watcher.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => {
      watcher.disconnect();
      document.title = healthTitle(document.title, null);
    };
  }, [worst]);
}
