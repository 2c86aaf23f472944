import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePemValue, encodePemValue, encodingOf } from './pem-encoding';

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const gz = (s: string) => gzipSync(Buffer.from(s, 'utf8')).toString('base64');
const CA = pem('CERTIFICATE', 'Y2x1c3Rlci1jYQ==');

describe('decodePemValue', () => {
  // CA_CERT is plain base64 in kube-env, ETCD_CA_CERT gzip+base64.
  it.each([
    ['base64 of PEM', 'CA_CERT', b64(CA), CA],
    ['base64 with trailing newline', 'CA_CERT', `${b64(CA)}\n`, CA],
    ['gzip+base64 of PEM', 'ETCD_CA_CERT', gz(CA), CA],
    ['gzip+base64 wrapped at 76 columns', 'ETCD_CA_CERT', gz(CA).replace(/(.{76})/g, '$1\n'), CA],
    // What a boot script would turn into an empty file: plain base64 where gzip is expected.
    ['plain base64 where gzip is expected', 'ETCD_CA_CERT', b64(CA), null],
    ['gzip read as plain base64', 'CA_CERT', gz(CA), null],
    ['PEM as is (kube-up never writes it so)', 'CA_CERT', CA, null],
    ['base64 of not PEM', 'CA_CERT', b64('hello'), null],
    ['a BEGIN line without its END', 'CA_CERT', b64('-----BEGIN CERTIFICATE-----\nYQ==\n'), null],
    ['garbage', 'CA_CERT', 'not base64 !!', null],
    ['empty', 'ETCD_CA_CERT', '', null],
  ] as const)('%s', (_label, key, value, expected) => {
    expect(decodePemValue(key, value)).toBe(expected);
  });

  it('knows which keys kube-up gzips', () => {
    expect(
      [
        'ETCD_CA_CERT',
        'ETCD_PEER_CERT',
        'ETCD_APISERVER_CA_CERT',
        'ETCD_APISERVER_SERVER_CERT',
        'ETCD_APISERVER_CLIENT_CERT',
      ].map(encodingOf),
    ).toEqual(Array(5).fill('gzip+base64'));
    expect(
      ['CA_CERT', 'MASTER_CERT', 'KUBECFG_CERT', 'ETCD_APISERVER_CLIENT_KEY', 'ETCD_PEER_KEY'].map(encodingOf),
    ).toEqual(Array(5).fill('base64'));
  });
});

describe('encodePemValue', () => {
  it.each([
    ['ETCD_PEER_CERT', 'gzip'],
    ['ETCD_APISERVER_SERVER_CERT', 'gzip'],
    ['ETCD_PEER_KEY', 'base64'],
    ['MASTER_CERT', 'base64'],
  ])('%s is written as %s and read back', (key, how) => {
    const value = encodePemValue(key, CA);
    expect(Buffer.from(value, 'base64').subarray(0, 2).toString('hex') === '1f8b').toBe(how === 'gzip');
    expect(decodePemValue(key, value)).toBe(CA);
  });
});
