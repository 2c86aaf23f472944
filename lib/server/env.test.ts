import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

describe('parseEnv', () => {
  it('defaults to the sandbox on 8780 with .quorum at the repo root', () => {
    expect(parseEnv({}, '/repo')).toEqual({
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: 8780,
      SANDBOX_APISERVER_PORT: 443,
      QUORUM_PROJECTS: ['sandbox-project'],
      QUORUM_DATA_DIR: '/repo/.quorum',
      QUORUM_PROBE_TIMEOUT_MS: 500,
      QUORUM_PROBE_TIMEOUT_MAX_MS: 4_000,
      QUORUM_PLAN_PROBE_TIMEOUT_MS: 3_000,
      QUORUM_COMPUTE_TIMEOUT_MS: 10_000,
      QUORUM_COMPUTE_RATE_PER_SECOND: 20,
      QUORUM_COMPUTE_BURST: 40,
      QUORUM_COMPUTE_QUOTA_PER_MINUTE: 6_000,
      QUORUM_COMPUTE_OPERATION_SHARE: 0.4,
      QUORUM_COMPUTE_REFRESH_MS: 5_000,
      QUORUM_MONITOR_INTERVAL_MS: 5_000,
      QUORUM_ACTION_RATE_PER_MINUTE: 30,
      QUORUM_ACTION_BURST: 10,
      QUORUM_PREVIEW_RATE_PER_MINUTE: 30,
      QUORUM_PREVIEW_BURST: 10,
      QUORUM_STREAMS_PER_USER: 12,
      QUORUM_SNAPSHOT_RETENTION: 5,
      QUORUM_ETCDCTL: 'etcdctl',
      QUORUM_ALLOWED_ORIGINS: [],
      QUORUM_TRUSTED_PROXIES: [],
      QUORUM_SSH_ADDRESS: 'internal',
      QUORUM_SSH_USER: 'quorum',
      QUORUM_SSH_CONNECT_TIMEOUT_MS: 3_000,
      QUORUM_SSH_KEY_TTL_HOURS: 24,
      QUORUM_SSH_LOGIN_CHECK_SECONDS: 30,
    });
  });

  it('budgets Compute lower on gce than on the sandbox, unless told otherwise', () => {
    const pick = (e: ReturnType<typeof parseEnv>) => [
      e.QUORUM_COMPUTE_RATE_PER_SECOND,
      e.QUORUM_COMPUTE_BURST,
      e.QUORUM_COMPUTE_QUOTA_PER_MINUTE,
    ];
    expect(pick(parseEnv({}, '/repo'))).toEqual([20, 40, 6_000]);
    expect(pick(parseEnv({ QUORUM_PROVIDER: 'gce', QUORUM_PROJECTS: 'proj-one' }, '/repo'))).toEqual([4, 8, 300]);
    expect(
      pick(
        parseEnv(
          {
            QUORUM_PROVIDER: 'gce',
            QUORUM_PROJECTS: 'proj-one',
            QUORUM_COMPUTE_RATE_PER_SECOND: '10',
            QUORUM_COMPUTE_BURST: '20',
            QUORUM_COMPUTE_QUOTA_PER_MINUTE: '900',
          },
          '/repo',
        ),
      ),
    ).toEqual([10, 20, 900]);
  });

  it('reads the allowed origins of mutating requests', () => {
    expect(
      parseEnv({ QUORUM_ALLOWED_ORIGINS: 'https://quorum.example.com, http://10.0.0.5:3000' }, '/repo')
        .QUORUM_ALLOWED_ORIGINS,
    ).toEqual(['https://quorum.example.com', 'http://10.0.0.5:3000']);
  });

  it('reads every variable, treating empty as unset', () => {
    const env = parseEnv(
      {
        QUORUM_PROVIDER: 'gce',
        SANDBOX_PORT: '8790',
        QUORUM_PROJECTS: ' proj-one, proj-two ,proj-one,',
        QUORUM_DATA_DIR: '/var/quorum',
        QUORUM_PROBE_TIMEOUT_MS: '',
        SANDBOX_APISERVER_PORT: '8443',
      },
      '/repo',
    );
    expect(env).toMatchObject({
      QUORUM_PROVIDER: 'gce',
      SANDBOX_PORT: 8790,
      SANDBOX_APISERVER_PORT: 8443,
      QUORUM_PROJECTS: ['proj-one', 'proj-two'],
      QUORUM_DATA_DIR: '/var/quorum',
      QUORUM_PROBE_TIMEOUT_MS: 500,
    });
  });

  it('accepts a failpoint for the sandbox', () => {
    expect(parseEnv({ QUORUM_FAILPOINT: '12:step-returned' }, '/repo').QUORUM_FAILPOINT).toBe('12:step-returned');
    expect(parseEnv({ QUORUM_FAILPOINT: 'after-insert-sent' }, '/repo').QUORUM_FAILPOINT).toBe('after-insert-sent');
  });

  it.each([
    [{ QUORUM_PROVIDER: 'aws' }, 'QUORUM_PROVIDER'],
    [{ SANDBOX_PORT: '70000' }, 'SANDBOX_PORT'],
    [{ QUORUM_PROJECTS: 'Bad_Project' }, 'QUORUM_PROJECTS'],
    [{ QUORUM_PROJECTS: ',' }, 'QUORUM_PROJECTS'],
    [{ QUORUM_PROBE_TIMEOUT_MS: 'soon' }, 'QUORUM_PROBE_TIMEOUT_MS'],
    [{ QUORUM_SNAPSHOT_RETENTION: '0' }, 'QUORUM_SNAPSHOT_RETENTION'],
    [{ QUORUM_COMPUTE_RATE_PER_SECOND: '0' }, 'QUORUM_COMPUTE_RATE_PER_SECOND'],
    [{ QUORUM_COMPUTE_BURST: '2.5' }, 'QUORUM_COMPUTE_BURST'],
    [{ QUORUM_COMPUTE_OPERATION_SHARE: '0.95' }, 'QUORUM_COMPUTE_OPERATION_SHARE'],
    [{ QUORUM_COMPUTE_REFRESH_MS: '50' }, 'QUORUM_COMPUTE_REFRESH_MS'],
    [{ QUORUM_ACTION_RATE_PER_MINUTE: 'lots' }, 'QUORUM_ACTION_RATE_PER_MINUTE'],
    [{ QUORUM_ACTION_BURST: '0' }, 'QUORUM_ACTION_BURST'],
    [{ QUORUM_FAILPOINT: '3:somewhere' }, 'QUORUM_FAILPOINT'],
    [{ QUORUM_ALLOWED_ORIGINS: 'quorum.example.com' }, 'QUORUM_ALLOWED_ORIGINS'],
    [{ QUORUM_ALLOWED_ORIGINS: 'https://quorum.example.com/app' }, 'QUORUM_ALLOWED_ORIGINS'],
    [{ QUORUM_FAILPOINT: '3:step-returned', QUORUM_PROVIDER: 'gce', QUORUM_PROJECTS: 'proj-one' }, 'QUORUM_FAILPOINT'],
    [{ QUORUM_TRUSTED_PROXIES: '10.0.0.0/33' }, 'QUORUM_TRUSTED_PROXIES'],
    [{ QUORUM_TRUSTED_PROXIES: 'proxy.example.com' }, 'QUORUM_TRUSTED_PROXIES'],
  ])('rejects %j naming the variable', (source, name) => {
    expect(() => parseEnv(source, '/repo')).toThrow(name);
  });

  it('requires QUORUM_PROJECTS with QUORUM_PROVIDER=gce, saying what to set; the sandbox defaults to its own project', () => {
    expect(() => parseEnv({ QUORUM_PROVIDER: 'gce' }, '/repo')).toThrow(
      /QUORUM_PROJECTS: is required with QUORUM_PROVIDER=gce: the comma-separated GCE project ids/,
    );
    expect(() => parseEnv({ QUORUM_PROVIDER: 'gce', QUORUM_PROJECTS: '' }, '/repo')).toThrow('QUORUM_PROJECTS');
    expect(parseEnv({ QUORUM_PROVIDER: 'gce', QUORUM_PROJECTS: 'proj-one' }, '/repo').QUORUM_PROJECTS).toEqual([
      'proj-one',
    ]);
    expect(parseEnv({}, '/repo').QUORUM_PROJECTS).toEqual(['sandbox-project']);
  });

  it('parses QUORUM_TRUSTED_PROXIES as address ranges (a bare address is its own /32 or /128)', () => {
    expect(
      parseEnv({ QUORUM_TRUSTED_PROXIES: '10.0.0.0/24, 192.0.2.7,2001:DB8::/48' }, '/repo').QUORUM_TRUSTED_PROXIES,
    ).toEqual([
      { address: '10.0.0.0', prefix: 24, family: 'ipv4' },
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
      { address: '2001:db8::', prefix: 48, family: 'ipv6' },
    ]);
  });
});
