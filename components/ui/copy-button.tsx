'use client';
import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * Copies `text` to the clipboard. The Clipboard API exists only in secure contexts (https or localhost): elsewhere
 * the button says so, and the command stays selectable in its <pre>. `what` names what it copies, for screen
 * readers and voice control (a page of buttons all called "Copy" says nothing): "Copy <what>".
 */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const t = useTranslations('common.copyButton');
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <button
      type="button"
      onClick={() => void copy()}
      data-testid="copy-command"
      aria-label={t('label', { what })}
      title={t('label', { what })}
      className="shrink-0 rounded border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-50"
    >
      {state === 'copied' ? t('copied') : state === 'failed' ? t('failed') : t('copy')}
    </button>
  );
}
