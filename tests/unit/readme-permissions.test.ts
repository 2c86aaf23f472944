// The README's table of the permissions Quorum uses and lib/core/permissions.ts say the same, use by use.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS_BY_USE } from '@/lib/core/permissions';

/** The rows of the README's table under "Quorum's identity on Compute Engine": use, permissions, roles. */
function readmeRows(): { title: string; permissions: string[]; roles: string[] }[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split("### Quorum's identity on Compute Engine")[1]?.split('\n## ')[0] ?? '';
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| use ') && !l.startsWith('| ---'));
  return rows.map((row) => {
    const [title = '', permissions = '', roles = ''] = row
      .split(' | ')
      .map((cell) => cell.replace(/^\| /, '').replace(/ \|$/, ''));
    return {
      title,
      permissions: [...permissions.matchAll(/`((?:compute|iam)\.[A-Za-z.0-9]+)`/g)].map((m) => m[1] ?? '').sort(),
      roles: [...roles.matchAll(/`(roles\/[A-Za-z.0-9]+)`/g)].map((m) => m[1] ?? '').sort(),
    };
  });
}

describe("README: Quorum's identity on Compute Engine", () => {
  it('agree with the README table, use by use', () => {
    const fromCode = PERMISSIONS_BY_USE.map((u) => ({
      title: u.title,
      permissions: [...new Set(u.grants.flatMap((g) => g.permissions))].sort(),
      roles: [...new Set(u.grants.map((g) => g.role))].sort(),
    }));
    expect(readmeRows()).toEqual(fromCode);
  });
});
