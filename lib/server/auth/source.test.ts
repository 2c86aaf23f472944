import { describe, expect, it } from 'vitest';
import { sourceOf } from './source';

describe('sourceOf', () => {
  it.each([
    [{ 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }, '203.0.113.7'],
    [{ 'x-real-ip': '2001:db8::1' }, '2001:db8::1'],
    [{ 'x-forwarded-for': '', 'x-real-ip': '198.51.100.2' }, '198.51.100.2'],
    [{}, 'unknown'],
    [{ 'x-forwarded-for': '203.0.113.7 OR 1=1' }, 'unknown'],
    [{ 'x-forwarded-for': '<script>' }, 'unknown'],
  ])('%j -> %s', (headers, expected) => {
    expect(sourceOf(new Headers(headers))).toBe(expected);
  });
});
