import { describe, expect, it } from 'vitest';
import { hasRole, isRole, ROLES } from './roles';

describe('roles', () => {
  it.each([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['viewer', 'admin', false],
    ['operator', 'viewer', true],
    ['operator', 'operator', true],
    ['operator', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'operator', true],
    ['admin', 'admin', true],
  ] as const)('%s has the rights of %s: %s', (role, needed, expected) => {
    expect(hasRole(role, needed)).toBe(expected);
  });

  it('knows exactly its three roles', () => {
    expect(ROLES.filter(isRole)).toEqual(['viewer', 'operator', 'admin']);
    for (const value of ['user', 'Admin', '', null, 1, '__proto__']) expect(isRole(value)).toBe(false);
  });
});
