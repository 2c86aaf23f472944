// Certificate issuing on WebCrypto (@peculiar/x509), for kube-up style PKI. Pure: no I/O, no server
// imports, so server code and scripts can both use it. CAs may be ECDSA (the sandbox) or RSA (kube-up's
// easy-rsa and cfssl); new leaf keys are ECDSA P-256, which etcd, Go TLS and Node all accept.

import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle;
const LEAF_KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** kube-up's cfssl profiles sign for 43800h (5 years). */
export const LEAF_VALIDITY_MS = 43_800 * 3600 * 1000;
/** Tolerates small clock differences between the signer and the verifiers. */
const BACKDATE_MS = 5 * 60 * 1000;

export type Pem = string;
export type IssuedPair = { cert: Pem; key: Pem };

/** A CA able to sign: its certificate and private key, with the signature algorithm its key calls for. */
export type Signer = {
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: EcdsaParams | RsaHashedImportParams | Algorithm;
};

export class PkiError extends Error {
  override readonly name = 'PkiError';
}

/** CA certificate + key PEM -> Signer. Accepts PKCS#8, PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY") keys. */
export async function importSigner(certPem: Pem, keyPem: Pem, label: string): Promise<Signer> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (e) {
    throw new PkiError(`${label}: certificate is not readable (${e instanceof Error ? e.message : String(e)})`);
  }
  let keyObject;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (e) {
    throw new PkiError(`${label}: private key is not readable (${e instanceof Error ? e.message : String(e)})`);
  }
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const details = keyObject.asymmetricKeyDetails;
  let importAlg: EcKeyImportParams | RsaHashedImportParams;
  let algorithm: EcdsaParams | Algorithm;
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve === 'secp384r1' ? 'P-384' : details?.namedCurve === 'prime256v1' ? 'P-256' : null;
    if (curve === null) throw new PkiError(`${label}: unsupported EC curve ${details?.namedCurve ?? '?'}`);
    importAlg = { name: 'ECDSA', namedCurve: curve };
    algorithm = { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } as EcdsaParams;
  } else if (keyObject.asymmetricKeyType === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    algorithm = { name: 'RSASSA-PKCS1-v1_5' };
  } else {
    throw new PkiError(`${label}: unsupported key type ${keyObject.asymmetricKeyType ?? '?'}`);
  }
  const key = await subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
  // A key that does not belong to the certificate would sign certificates nobody can verify.
  const probe = new Uint8Array([1, 2, 3]);
  const signature = await subtle.sign(algorithm, key, probe);
  const publicKey = await cert.publicKey.export(importAlg, ['verify'], webcrypto as unknown as Crypto);
  if (!(await subtle.verify(algorithm, publicKey, signature, probe))) {
    throw new PkiError(`${label}: the private key does not match the certificate`);
  }
  return { cert, key, algorithm };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<Pem> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export type LeafSpec = {
  commonName: string;
  organization?: string;
  usages: Array<'serverAuth' | 'clientAuth'>;
  ips?: string[];
  dnsNames?: string[];
  now?: Date;
};

/** A leaf certificate signed by `signer`, on a fresh P-256 key. */
export async function issueLeaf(signer: Signer, spec: LeafSpec): Promise<IssuedPair> {
  const keys = (await subtle.generateKey({ ...LEAF_KEY_ALG }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const altNames: x509.JsonGeneralName[] = [
    ...unique(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...unique(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(spec.usages.map((u) => x509.ExtendedKeyUsage[u])),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signer.cert.publicKey),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const now = (spec.now ?? new Date()).getTime();
  const subject: Array<Record<string, string[]>> = [{ CN: [spec.commonName] }];
  if (spec.organization !== undefined) subject.push({ O: [spec.organization] });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: signer.cert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + LEAF_VALIDITY_MS),
    signingAlgorithm: signer.algorithm,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

/** A self-signed CA (P-256, or RSA 2048 as kube-up's easy-rsa makes them). */
export async function createCa(
  commonName: string,
  opts: { keyType?: 'ecdsa' | 'rsa'; now?: Date } = {},
): Promise<IssuedPair> {
  const rsa = opts.keyType === 'rsa';
  const genAlg = rsa
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { ...LEAF_KEY_ALG };
  const keys = (await subtle.generateKey(genAlg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = (opts.now ?? new Date()).getTime();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + LEAF_VALIDITY_MS),
    signingAlgorithm: rsa ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}
