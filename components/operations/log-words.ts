// An operation's log lines in the reader's language: each line's sentence (lib/core/operation-log.ts) worded by
// `operations.log.<key>`, a step's title worded from the plan like the steps above it. Lines written before sentences
// had keys, or whose step is not in the plan, read as journaled (English).
import type { CatalogTranslator } from '@/components/ui/param-words';
import type { OperationView } from '@/lib/core/operation-view';

export type LogLineView = OperationView['log'][number];

/**
 * `t`: the `operations` translator; `stepTitle`: a plan step's title by index in the page's language, null when the
 * plan has no such step.
 */
export function logWordsIn(t: CatalogTranslator, stepTitle: (index: number) => string | null) {
  return (line: LogLineView): string => {
    const said = line.said;
    if (said === null || !t.has(`log.${said.key}`)) return line.message;
    const title = said.step === undefined ? null : stepTitle(said.step);
    if (said.step !== undefined && title === null) return line.message;
    // The runner's own lines name the step inside the sentence; a step's lines come under its title.
    if ('step' in said.params) return t(`log.${said.key}`, { ...said.params, step: title ?? said.params.step ?? '' });
    const text = t(`log.${said.key}`, said.params);
    return title === null ? text : `${title}: ${text}`;
  };
}
