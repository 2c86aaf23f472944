import { describe, expect, it } from 'vitest';
import {
  CLIENT_ADDRESS_HEADER,
  clientAddress,
  proxyMatcher,
  sourceOf,
  stampClientAddress,
  trustedProxiesSchema,
} from './source';

const trusted = (list: string) => proxyMatcher(trustedProxiesSchema.parse(list));

describe('clientAddress', () => {
  it('without trusted proxies is the socket peer, whatever X-Forwarded-For says', () => {
    expect(clientAddress('198.51.100.4', '203.0.113.7', trusted(''))).toBe('198.51.100.4');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.7, 10.0.0.1', trusted(''))).toBe('127.0.0.1');
    expect(clientAddress('2001:DB8::1', undefined, trusted(''))).toBe('2001:db8::1');
  });

  it('from an untrusted peer ignores X-Forwarded-For even when proxies are configured', () => {
    expect(clientAddress('198.51.100.4', '203.0.113.7', trusted('10.0.0.0/24'))).toBe('198.51.100.4');
  });

  it('from a trusted peer reads X-Forwarded-For right to left, skipping trusted hops', () => {
    const t = trusted('10.0.0.0/24,192.0.2.1');
    // client -> 192.0.2.1 (trusted CDN) -> 10.0.0.5 (trusted load balancer) -> the dashboard
    expect(clientAddress('10.0.0.5', '203.0.113.9, 198.51.100.2, 192.0.2.1', t)).toBe('198.51.100.2');
    // A forged left-most entry is not reached: the first untrusted hop from the right wins.
    expect(clientAddress('10.0.0.5', '1.2.3.4, 198.51.100.2', t)).toBe('198.51.100.2');
    // Repeated headers are one list.
    expect(clientAddress('10.0.0.5', ['203.0.113.9', '192.0.2.1'], t)).toBe('203.0.113.9');
  });

  it('from a trusted peer with no or only trusted hops is the last trusted address; a malformed hop stops the walk', () => {
    const t = trusted('10.0.0.0/24');
    expect(clientAddress('10.0.0.5', undefined, t)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '10.0.0.9', t)).toBe('10.0.0.9');
    expect(clientAddress('10.0.0.5', '203.0.113.9, <script>', t)).toBe('10.0.0.5');
  });

  it('is null without a peer address', () => {
    expect(clientAddress(undefined, '203.0.113.7', trusted(''))).toBeNull();
  });
});

describe('stampClientAddress and sourceOf', () => {
  it('replace what a client sent under the stamp header and ignore its X-Forwarded-For (no trusted proxy)', () => {
    const req = {
      headers: { 'x-forwarded-for': '203.0.113.7', [CLIENT_ADDRESS_HEADER]: '203.0.113.8' } as Record<
        string,
        string | string[] | undefined
      >,
      socket: { remoteAddress: '::ffff:127.0.0.1' },
    };
    stampClientAddress(req, trusted(''));
    expect(req.headers[CLIENT_ADDRESS_HEADER]).toBe('127.0.0.1');
    expect(sourceOf(new Headers(req.headers as Record<string, string>))).toBe('127.0.0.1');
  });

  it('drop a client-sent stamp when the socket address is unknown', () => {
    const req = {
      headers: { [CLIENT_ADDRESS_HEADER]: '203.0.113.8' } as Record<string, string | string[] | undefined>,
      socket: null,
    };
    stampClientAddress(req, trusted(''));
    expect(req.headers[CLIENT_ADDRESS_HEADER]).toBeUndefined();
  });

  it.each([
    [{ 'x-forwarded-for': '203.0.113.7' }, 'unknown'],
    [{ 'x-real-ip': '2001:db8::1' }, 'unknown'],
    [{ [CLIENT_ADDRESS_HEADER]: '198.51.100.2' }, '198.51.100.2'],
    [{ [CLIENT_ADDRESS_HEADER]: '203.0.113.7 OR 1=1' }, 'unknown'],
    [{}, 'unknown'],
  ])('sourceOf %j -> %s', (headers, expected) => {
    expect(sourceOf(new Headers(headers))).toBe(expected);
  });
});
