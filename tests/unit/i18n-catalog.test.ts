// The catalogs: Chinese has exactly English's keys, every message parses as ICU, and a translation uses the same
// arguments and rich-text tags as the English it translates (a missing `{zone}` would silently drop the zone).
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { catalogs, en } from '@/messages';

type Tree = { [key: string]: string | Tree };

function flatten(tree: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (tree === null || typeof tree !== 'object') return out;
  for (const [key, value] of Object.entries(tree as Tree)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object') for (const [k, v] of flatten(value, path)) out.set(k, v);
    else out.set(path, value);
  }
  return out;
}

/** Argument names and tag names used anywhere in a message, plural and select branches included. */
function namesIn(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type === TYPE.argument || el.type === TYPE.number || el.type === TYPE.date || el.type === TYPE.time) {
      into.add(el.value);
    } else if (el.type === TYPE.plural || el.type === TYPE.select) {
      into.add(el.value);
      for (const option of Object.values(el.options)) namesIn(option.value, into);
    } else if (el.type === TYPE.tag) {
      into.add(`<${el.value}>`);
      namesIn(el.children, into);
    }
  }
  return into;
}

const english = flatten(en);
const chinese = flatten(catalogs['zh-CN']);

describe('message catalogs', () => {
  it('English has messages in every namespace it declares', () => {
    expect(english.size).toBeGreaterThan(0);
    for (const [namespace, tree] of Object.entries(en)) {
      expect(flatten(tree).size, `namespace ${namespace} is empty`).toBeGreaterThan(0);
    }
  });

  it('Chinese has every key English has, and no other', () => {
    const missing = [...english.keys()].filter((k) => !chinese.has(k));
    const extra = [...chinese.keys()].filter((k) => !english.has(k));
    expect(missing, 'keys missing from messages/zh-CN').toEqual([]);
    expect(extra, 'keys in messages/zh-CN that English lacks').toEqual([]);
  });

  it('every message is a non-empty string that parses as ICU', () => {
    for (const [locale, messages] of [
      ['en', english],
      ['zh-CN', chinese],
    ] as const) {
      for (const [key, value] of messages) {
        expect(typeof value === 'string' && value.trim() !== '', `${locale} ${key} is not a message`).toBe(true);
        expect(() => parse(value as string), `${locale} ${key} does not parse`).not.toThrow();
      }
    }
  });

  it('a translation uses the same arguments and tags as its English', () => {
    for (const [key, value] of english) {
      const zh = chinese.get(key);
      if (typeof zh !== 'string' || typeof value !== 'string') continue;
      expect([...namesIn(parse(zh))].sort(), key).toEqual([...namesIn(parse(value))].sort());
    }
  });

  it('a Chinese message that reads exactly like its English is a name or a code, not an untranslated sentence', () => {
    const untranslated = [...english].filter(([key, value]) => chinese.get(key) === value && /\s/.test(String(value)));
    expect(untranslated.map(([key]) => key)).toEqual([]);
  });
});
