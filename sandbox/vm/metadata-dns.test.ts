// The twin VM's metadata DNS against Node's own DNS client (c-ares) over real UDP on loopback.
import { Resolver } from 'node:dns/promises';
import type dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerQuery, parseHosts, startMetadataDns } from './metadata-dns';

const HOSTS = `127.0.0.1 localhost
# the instances
198.18.80.2 prod-master-a prod-master-a.europe-west1-b.c.sandbox-project.internal
198.18.80.3 prod-master-b
::1 ip6-localhost
`;

describe('parseHosts', () => {
  it('maps every name of an IPv4 line, lower-cased, and skips comments and IPv6', () => {
    const hosts = parseHosts(`${HOSTS}198.18.80.9 Prod-Master-A\n`);
    expect(hosts.get('prod-master-a')).toEqual(['198.18.80.2', '198.18.80.9']);
    expect(hosts.get('prod-master-a.europe-west1-b.c.sandbox-project.internal')).toEqual(['198.18.80.2']);
    expect(hosts.has('ip6-localhost')).toBe(false);
    expect(hosts.has('#')).toBe(false);
  });
});

describe('answerQuery', () => {
  const lookup = (name: string) => parseHosts(HOSTS).get(name) ?? [];
  // A query for prod-master-b, type A, class IN, id 0x1234, recursion desired.
  const query = Buffer.from('123401000001000000000000' + '0d70726f642d6d61737465722d620000010001', 'hex');

  it('answers an A query with the address, authoritative, echoing the id, the question and RD', () => {
    const answer = answerQuery(query, lookup);
    expect(answer?.toString('hex')).toBe(
      '1234858000010001000000000d70726f642d6d61737465722d620000010001' + 'c00c000100010000001e0004c6125003',
    );
  });

  it('answers NXDOMAIN for an unknown name, an empty NOERROR for another type of a known one, nothing to a response', () => {
    const unknown = Buffer.from(query);
    unknown.write('x', 13 + 12, 'latin1'); // prod-master-x
    expect(answerQuery(unknown, lookup)?.readUInt16BE(2)).toBe(0x8583);
    const aaaa = Buffer.from(query);
    aaaa.writeUInt16BE(28, query.length - 4);
    expect(answerQuery(aaaa, lookup)?.subarray(2, 8).toString('hex')).toBe('858000010000');
    const response = Buffer.from(query);
    response.writeUInt16BE(0x8180, 2);
    expect(answerQuery(response, lookup)).toBeNull();
    expect(answerQuery(Buffer.alloc(5), lookup)).toBeNull();
  });

  it('refuses a truncated question as a format error', () => {
    expect(answerQuery(query.subarray(0, 20), lookup)?.readUInt16BE(2)).toBe(0x8581);
  });
});

describe('startMetadataDns', () => {
  let dir: string;
  let hostsFile: string;
  let socket: dgram.Socket;
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quorum-dns-'));
    hostsFile = path.join(dir, 'hosts');
    writeFileSync(hostsFile, HOSTS);
    socket = await startMetadataDns({ host: '127.0.0.1', port: 0, hostsFile, log: () => undefined });
    resolver.setServers([`127.0.0.1:${socket.address().port}`]);
  });

  afterAll(() => {
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves instance names by their short name and zonal FQDN, and refuses others at once', async () => {
    expect(await resolver.resolve4('prod-master-a')).toEqual(['198.18.80.2']);
    expect(await resolver.resolve4('prod-master-a.europe-west1-b.c.sandbox-project.internal')).toEqual(['198.18.80.2']);
    const t0 = Date.now();
    await expect(resolver.resolve4('prod-master-zzz')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('knows a name as soon as the hosts file has it, and forgets one as soon as it is gone', async () => {
    await expect(resolver.resolve4('prod-master-c')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    writeFileSync(hostsFile, `${HOSTS}198.18.80.4 prod-master-c\n`);
    expect(await resolver.resolve4('prod-master-c')).toEqual(['198.18.80.4']);
    writeFileSync(hostsFile, HOSTS);
    await expect(resolver.resolve4('prod-master-c')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
