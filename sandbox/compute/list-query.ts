// `filter`, `maxResults` and `pageToken` of GCE list methods.
//
// Filter forms supported (what Quorum and gcloud send):
//   name eq <regex>  /  name ne <regex>      RE2-style regex, must match the whole value
//   name = "x"  /  status != RUNNING  /  tags.items : prod-master   (`:` = has)
//   (a) (b), a AND b, a OR b, NOT a          parenthesised expressions; adjacency means AND
import { invalid, invalidField } from './gce-error';

export type Predicate = (resource: unknown) => boolean;

type Token = { kind: 'lparen' | 'rparen' | 'word' | 'string'; text: string };

export function compileFilter(filter: string | undefined): Predicate {
  const text = (filter ?? '').trim();
  if (text === '') return () => true;
  // A single un-parenthesised `field eq|ne regex` takes the rest of the line as the regex, since a
  // regex may contain spaces and parentheses (`name eq prod-master(-...)?`).
  const legacy = /^([A-Za-z_][\w.]*)\s+(eq|ne)\s+(.+)$/s.exec(text);
  if (legacy?.[1] && legacy[2] && legacy[3]) {
    return comparison(legacy[1], legacy[2], unquote(legacy[3].trim()));
  }
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): never => {
    throw invalidField('filter', text, why);
  };

  const parseOr = (): Predicate => {
    const parts = [parseAnd()];
    while (peek()?.kind === 'word' && peek()?.text === 'OR') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 && parts[0] ? parts[0] : (r) => parts.some((p) => p(r));
  };
  const parseAnd = (): Predicate => {
    const parts = [parseUnary()];
    for (;;) {
      const t = peek();
      if (!t || t.kind === 'rparen' || (t.kind === 'word' && t.text === 'OR')) break;
      if (t.kind === 'word' && t.text === 'AND') pos++;
      parts.push(parseUnary());
    }
    return parts.length === 1 && parts[0] ? parts[0] : (r) => parts.every((p) => p(r));
  };
  const parseUnary = (): Predicate => {
    const t = peek();
    if (!t) return fail('Unexpected end of filter expression.');
    if (t.kind === 'word' && (t.text === 'NOT' || t.text === '-')) {
      pos++;
      const inner = parseUnary();
      return (r) => !inner(r);
    }
    if (t.kind === 'lparen') {
      pos++;
      const inner = parseOr();
      if (peek()?.kind !== 'rparen') fail('Missing closing parenthesis.');
      pos++;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): Predicate => {
    const field = tokens[pos];
    if (!field || field.kind !== 'word') return fail('Expected a field name.');
    pos++;
    let field2 = field.text;
    let op: string | undefined;
    // `name="x"` arrives as one word; split it on its operator.
    const glued = /^([\w.]+)(!=|>=|<=|=|:|>|<)(.*)$/s.exec(field2);
    let value: string | undefined;
    if (glued?.[1] && glued[2]) {
      field2 = glued[1];
      op = glued[2];
      if (glued[3] !== '') value = glued[3];
    } else {
      const o = tokens[pos];
      if (!o || o.kind !== 'word') return fail(`Expected an operator after '${field.text}'.`);
      op = o.text;
      pos++;
    }
    if (value === undefined) {
      const v = tokens[pos];
      if (!v || (v.kind !== 'word' && v.kind !== 'string')) return fail(`Expected a value after '${field2} ${op}'.`);
      pos++;
      value = v.kind === 'string' ? v.text : unquote(v.text);
    } else {
      value = unquote(value);
    }
    return comparison(field2, op, value);
  };

  const predicate = parseOr();
  if (pos !== tokens.length) fail('Unexpected trailing input.');
  return predicate;
}

function comparison(field: string, op: string, value: string): Predicate {
  const get = (r: unknown) => fieldValues(r, field);
  switch (op) {
    case 'eq':
    case 'ne': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${value})$`);
      } catch {
        throw invalidField('filter', value, 'Invalid regular expression.');
      }
      const matches = (r: unknown) => get(r).some((v) => re.test(v));
      return op === 'eq' ? matches : (r) => !matches(r);
    }
    case '=':
      return (r) => get(r).some((v) => v === value);
    case '!=':
      return (r) => !get(r).some((v) => v === value);
    case ':':
      return value === '*' ? (r) => get(r).length > 0 : (r) => get(r).some((v) => v === value);
    case '>':
    case '<':
    case '>=':
    case '<=':
      return (r) => get(r).some((v) => compare(v, value, op));
    default:
      throw invalid(`Invalid filter operator '${op}'.`);
  }
}

function compare(a: string, b: string, op: string): boolean {
  const [x, y] = Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? [Number(a), Number(b)] : [a, b];
  if (op === '>') return x > y;
  if (op === '<') return x < y;
  if (op === '>=') return x >= y;
  return x <= y;
}

/** Values at a dotted path as strings; arrays along the way fan out (`tags.items`, `disks.deviceName`). */
function fieldValues(resource: unknown, path: string): string[] {
  let current: unknown[] = [resource];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      if (Array.isArray(c)) {
        for (const e of c) if (isRecord(e) && key in e) next.push(e[key]);
      } else if (isRecord(c) && key in c) {
        next.push(c[key]);
      }
    }
    current = next;
  }
  return current
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .flatMap((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [String(v)] : []));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))))
    return s.slice(1, -1);
  return s;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(') {
      tokens.push({ kind: 'lparen', text: c });
      i++;
    } else if (c === ')') {
      tokens.push({ kind: 'rparen', text: c });
      i++;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw invalidField('filter', text, 'Unterminated string.');
      tokens.push({ kind: 'string', text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      // A bare word runs to whitespace or to a ')' that closes nothing inside it, so a bare regex
      // such as `x(-...)?` keeps its own parentheses. Quotes inside (`name="x"`) are kept verbatim.
      let depth = 0;
      let j = i;
      while (j < text.length) {
        const d = text.charAt(j);
        if (/\s/.test(d)) break;
        if (d === '"' || d === "'") {
          const end = text.indexOf(d, j + 1);
          j = end < 0 ? text.length : end + 1;
          continue;
        }
        if (d === '(') depth++;
        if (d === ')') {
          if (depth === 0) break;
          depth--;
        }
        j++;
      }
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

export const MAX_RESULTS = 500;

export type Page<T> = { items: T[]; nextPageToken?: string };

export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_RESULTS) {
    throw invalidField('maxResults', raw, `Must be an integer between 0 and ${MAX_RESULTS}.`);
  }
  return n === 0 ? MAX_RESULTS : n;
}

/** Page tokens are opaque to clients: base64 of the offset of the next item. */
export function paginate<T>(items: readonly T[], maxResults: number, pageToken: string | null): Page<T> {
  let offset = 0;
  if (pageToken) {
    const m = /^o:(\d{1,9})$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!m) throw invalidField('pageToken', pageToken, 'Invalid page token.');
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length
    ? { items: page, nextPageToken: Buffer.from(`o:${next}`).toString('base64url') }
    : { items: page };
}
