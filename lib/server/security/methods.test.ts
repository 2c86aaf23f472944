import { describe, expect, it } from 'vitest';
import { allowedMethods, refusedMethod } from './methods';

describe('refusedMethod', () => {
  it.each([
    // Pages: reads, and server actions as POSTs.
    ['GET', '/', null],
    ['HEAD', '/clusters/x', null],
    ['POST', '/clusters/x/change', null],
    ['PUT', '/', 'GET, HEAD, POST'],
    ['DELETE', '/users', 'GET, HEAD, POST'],
    ['OPTIONS', '/', 'GET, HEAD, POST'],
    ['PROPFIND', '/audit', 'GET, HEAD, POST'],
    ['TRACE', '/', 'GET, HEAD, POST'],
    // Route handlers: read-only; Next answers OPTIONS with their own Allow list.
    ['GET', '/api/health', null],
    ['OPTIONS', '/api/fleet', null],
    ['POST', '/api/health', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/api/clusters/a~b~c', 'GET, HEAD, OPTIONS'],
    ['TRACE', '/api/fleet/events', 'GET, HEAD, OPTIONS'],
    // Prometheus' scrape endpoint: read-only, like the API's route handlers.
    ['GET', '/metrics', null],
    ['POST', '/metrics', 'GET, HEAD, OPTIONS'],
    ['POST', '/metrics/x', null],
    // better-auth: sign-in and sign-out are POSTs.
    ['POST', '/api/auth/sign-in/email', null],
    ['GET', '/api/auth/get-session', null],
    ['DELETE', '/api/auth/sign-out', 'GET, HEAD, POST, OPTIONS'],
  ])('%s %s -> %s', (method, path, allow) => {
    expect(refusedMethod(method, path)).toEqual(allow === null ? null : { allow });
  });

  it('does not take a path that only starts like the API for one', () => {
    expect(allowedMethods('/apiary')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowedMethods('/api/authors')).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });
});
