// kube-up's metadata documents (kube-env, kube-master-certs): a flat YAML mapping written one
// `KEY: 'value'` line per variable (util.sh yaml-quote). Rewriting touches only the values it changes,
// so every other byte of the document stays as the existing master has it.

import { isMap, isScalar, parseDocument } from 'yaml';

export class KubeYamlError extends Error {
  override readonly name = 'KubeYamlError';
}

/** kube-up's yaml-quote: single quotes, embedded quotes doubled. */
export function yamlQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

type Entry = { key: string; value: string; valueRange: [number, number] | null };

function entries(text: string, what: string): Entry[] {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new KubeYamlError(`${what}: not YAML (${doc.errors[0]?.message ?? 'parse error'})`);
  if (doc.contents === null) return [];
  if (!isMap(doc.contents)) throw new KubeYamlError(`${what}: not a YAML mapping`);
  return doc.contents.items.map((pair) => {
    if (!isScalar(pair.key)) throw new KubeYamlError(`${what}: a key is not a scalar`);
    const key = String(pair.key.value);
    if (pair.value === null) return { key, value: '', valueRange: null };
    if (!isScalar(pair.value)) throw new KubeYamlError(`${what}: value of ${key} is not a scalar`);
    const range = pair.value.range;
    return {
      key,
      value: pair.value.value === null ? '' : String(pair.value.value),
      valueRange: range ? [range[0], range[1]] : null,
    };
  });
}

/** The document's values as written (certificates stay base64), in document order. */
export function readKubeYaml(text: string, what = 'document'): Map<string, string> {
  return new Map(entries(text, what).map((e) => [e.key, e.value]));
}

/**
 * Sets `updates` in the document: an existing key gets its value replaced in place (quoted like kube-up),
 * a missing one is appended as a new `KEY: 'value'` line. Everything else is returned byte for byte.
 */
export function rewriteKubeYaml(text: string, updates: ReadonlyMap<string, string>, what = 'document'): string {
  const present = entries(text, what);
  const replacements: Array<{ range: [number, number]; text: string }> = [];
  const pending = new Map(updates);
  for (const e of present) {
    const next = pending.get(e.key);
    if (next === undefined) continue;
    pending.delete(e.key);
    if (e.valueRange === null) throw new KubeYamlError(`${what}: ${e.key} has no value to replace`);
    replacements.push({ range: e.valueRange, text: yamlQuote(next) });
  }
  let out = text;
  for (const r of replacements.sort((a, b) => b.range[0] - a.range[0])) {
    out = out.slice(0, r.range[0]) + r.text + out.slice(r.range[1]);
  }
  if (pending.size > 0) {
    if (out !== '' && !out.endsWith('\n')) out += '\n';
    for (const [key, value] of pending) out += `${key}: ${yamlQuote(value)}\n`;
  }
  return out;
}
