import { describe, expect, it } from 'vitest';
import { GceError } from './gce-error';
import { compileFilter, paginate, parseMaxResults } from './list-query';

const instances = [
  {
    name: 'prod-master',
    status: 'RUNNING',
    zone: 'https://x/zones/europe-west1-b',
    tags: { items: ['prod-master'] },
    labels: { env: 'prod' },
  },
  {
    name: 'prod-master-a1b',
    status: 'TERMINATED',
    zone: 'https://x/zones/europe-west1-c',
    tags: { items: ['prod-master'] },
  },
  {
    name: 'prod-master-c2d',
    status: 'RUNNING',
    zone: 'https://x/zones/europe-west1-d',
    tags: { items: ['prod-master', 'extra'] },
  },
  { name: 'prod-minion-group-x1y2', status: 'RUNNING', zone: 'https://x/zones/europe-west1-b', tags: { items: [] } },
  {
    name: 'staging-master',
    status: 'STOPPING',
    zone: 'https://x/zones/us-central1-b',
    tags: { items: ['staging-master'] },
  },
];

const names = (filter: string) => instances.filter(compileFilter(filter)).map((i) => i.name);

describe('compileFilter', () => {
  it.each([
    ['', ['prod-master', 'prod-master-a1b', 'prod-master-c2d', 'prod-minion-group-x1y2', 'staging-master']],
    // kube-up's replica regex, bare and quoted: the regex must match the whole name.
    ['name eq prod-master(-...)?', ['prod-master', 'prod-master-a1b', 'prod-master-c2d']],
    ['name eq "prod-master(-...)?"', ['prod-master', 'prod-master-a1b', 'prod-master-c2d']],
    ["name eq 'prod-master'", ['prod-master']],
    ['name eq prod', []],
    ['name ne prod-master.*', ['prod-minion-group-x1y2', 'staging-master']],
    ['name = "staging-master"', ['staging-master']],
    ['name="staging-master"', ['staging-master']],
    ['name != staging-master', ['prod-master', 'prod-master-a1b', 'prod-master-c2d', 'prod-minion-group-x1y2']],
    ['status = RUNNING', ['prod-master', 'prod-master-c2d', 'prod-minion-group-x1y2']],
    ['status = "RUNNING" AND name = prod-master', ['prod-master']],
    ['(status = RUNNING) (name eq prod-master-.*)', ['prod-master-c2d']],
    ['status = TERMINATED OR status = STOPPING', ['prod-master-a1b', 'staging-master']],
    ['NOT status = RUNNING', ['prod-master-a1b', 'staging-master']],
    ['tags.items : extra', ['prod-master-c2d']],
    ['labels.env = prod', ['prod-master']],
    ['zone eq .*/us-central1-b', ['staging-master']],
  ])('%s', (filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });

  it.each(['name eq (', '(status = RUNNING', 'status =', 'name ~ x'])('rejects %s as 400 invalid', (filter) => {
    expect(() => names(filter)).toThrow(GceError);
    try {
      names(filter);
    } catch (err) {
      expect(err instanceof GceError && err.httpStatus).toBe(400);
    }
  });
});

describe('paging', () => {
  const items = Array.from({ length: 7 }, (_, i) => i);

  it('walks every item once with the returned tokens', () => {
    const seen: number[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: { items: number[]; nextPageToken?: string } = paginate(items, 3, token);
      seen.push(...page.items);
      token = page.nextPageToken ?? null;
      pages++;
    } while (token);
    expect(seen).toEqual(items);
    expect(pages).toBe(3);
  });

  it.each([
    [null, 500],
    ['0', 500],
    ['25', 25],
  ])('maxResults %s -> %i', (raw, expected) => {
    expect(parseMaxResults(raw)).toBe(expected);
  });

  it.each(['501', '-1', 'x'])('rejects maxResults %s', (raw) => {
    expect(() => parseMaxResults(raw)).toThrow(GceError);
  });

  it('rejects a forged page token', () => {
    expect(() => paginate(items, 3, 'bm90LWEtdG9rZW4')).toThrow(GceError);
  });
});
