import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendLine,
  freeId,
  isValidPosixUserName,
  parseGroup,
  parsePasswd,
  withGroupMember,
  writeInPlace,
} from './guest-agent';
import { renderSshdConfig } from './sshd';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment
sshd:x:103:65534::/run/sshd:/usr/sbin/nologin

alice:*:1500000000:1500000000::/var/lib/q/home/alice:/bin/bash
broken line
`;
const GROUP = `root:x:0:
adm:x:4:syslog
google-sudoers:x:1500000001:alice,bob
alice:x:1500000000:
`;

describe('passwd and group', () => {
  it('parses entries, skipping comments, blanks and broken lines', () => {
    expect(parsePasswd(PASSWD).map((u) => [u.name, u.uid, u.home])).toEqual([
      ['root', 0, '/root'],
      ['sshd', 103, '/run/sshd'],
      ['alice', 1500000000, '/var/lib/q/home/alice'],
    ]);
    expect(parseGroup(GROUP).find((g) => g.name === 'google-sudoers')?.members).toEqual(['alice', 'bob']);
  });

  it.each<[string, string, string, boolean, string]>([
    ['adds a member to an empty list', 'root', 'carol', true, 'root:x:0:carol'],
    ['adds a member after others', 'adm', 'carol', true, 'adm:x:4:syslog,carol'],
    ['removes a member', 'google-sudoers', 'alice', false, 'google-sudoers:x:1500000001:bob'],
    ['removes the last member', 'google-sudoers', 'bob', false, 'google-sudoers:x:1500000001:alice'],
  ])('withGroupMember %s', (_n, group, user, member, line) => {
    const next = withGroupMember(GROUP, group, user, member);
    expect(next.split('\n')).toContain(line);
    // Every other line stays as it was.
    expect(next.split('\n').filter((l) => !l.startsWith(`${group}:`))).toEqual(
      GROUP.split('\n').filter((l) => !l.startsWith(`${group}:`)),
    );
  });

  it('leaves the text alone when nothing changes or the group is missing', () => {
    expect(withGroupMember(GROUP, 'google-sudoers', 'alice', true)).toBe(GROUP);
    expect(withGroupMember(GROUP, 'docker', 'alice', true)).toBe(GROUP);
  });

  it('finds the lowest free id in the range', () => {
    expect(freeId([1, 2, 10], { min: 1, max: 20 })).toBe(3);
    expect(freeId([], { min: 5, max: 5 })).toBe(5);
    expect(() => freeId([5], { min: 5, max: 5 })).toThrow(/no free id/);
  });

  it('appends a line whether or not the file ends in a newline', () => {
    expect(appendLine('a\n', 'b')).toBe('a\nb\n');
    expect(appendLine('a', 'b')).toBe('a\nb\n');
    expect(appendLine('', 'b')).toBe('b\n');
  });

  it.each([
    ['alice', true],
    ['a.b-c_d', true],
    ['svc$', true],
    ['_x', true],
    ['12345', false],
    ['../etc', false],
    ['a/b', false],
    ['..', false],
    ['-rf', false],
    ['x'.repeat(33), false],
  ])('user name %j valid: %j', (name, valid) => {
    expect(isValidPosixUserName(name)).toBe(valid);
  });

  it('rewrites a file in place: same inode, shorter or longer', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'guest-agent-test-'));
    try {
      const file = path.join(dir, 'passwd');
      await writeFile(file, 'a much longer first content\n');
      const inode = (await stat(file)).ino;
      await writeInPlace(file, 'short\n');
      expect(await readFile(file, 'utf8')).toBe('short\n');
      await writeInPlace(file, 'short\nand longer again\n');
      expect(await readFile(file, 'utf8')).toBe('short\nand longer again\n');
      expect((await stat(file)).ino).toBe(inode);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sshd config', () => {
  it('is public-key only, StrictModes on, every path given', () => {
    const cfg = renderSshdConfig({ port: 22, hostKeyFiles: ['/d/ssh_host_ed25519_key'], pidFile: '/r/sshd.pid' });
    const lines = cfg.split('\n');
    for (const line of [
      'Port 22',
      'HostKey /d/ssh_host_ed25519_key',
      'PidFile /r/sshd.pid',
      'UsePAM no',
      'PasswordAuthentication no',
      'StrictModes yes',
      'PermitRootLogin no',
      'AllowTcpForwarding yes',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.some((l) => l.startsWith('ListenAddress'))).toBe(false);
    expect(renderSshdConfig({ port: 2222, hostKeyFiles: [], pidFile: '/p', listenAddresses: ['10.0.0.2'] })).toContain(
      'ListenAddress 10.0.0.2\n',
    );
  });
});
