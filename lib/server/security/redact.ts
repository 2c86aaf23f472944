// Private keys never leave the server (issue 5). Masters carry their CA, peer and client keys in instance
// metadata (kube-env, kube-master-certs: `NAME_KEY: '<base64 of PEM>'`), and a provider's error message or an
// operation's log line may quote a piece of it. Everything shown from metadata, an error or the journal goes
// through these functions first. Pure; no `server-only` so tests and proxy-side code can use it too.

export const REDACTED = '[redacted]';

/**
 * kube-up's variables that hold private keys end in _KEY (CA_KEY, MASTER_KEY, ETCD_PEER_KEY, ...); its admin
 * credentials besides the cert are KUBE_BEARER_TOKEN and KUBE_PASSWORD.
 */
const KEY_FIELD =
  /\b([A-Z][A-Z0-9_]*_(?:KEY|TOKEN|PASSWORD))(["']?\s*[:=]\s*)('(?:[^']|'')*'?|"(?:[^"\\]|\\.)*"?|[^\s,;}]+)/g;

/** A PEM private key block, terminated or cut off (an error message truncated mid-key). */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** base64 of a PEM document ("-----BEGIN" encodes to LS0tLS1CRUdJTi), as kube-up stores certificates and keys. */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g;

/** Metadata keys whose whole value is secret, whatever it looks like. */
const SECRET_METADATA_KEY = /(^|[-_])(key|keys|secret|secrets|token|password|certs)($|[-_])/i;

function decodesToCertificate(base64: string): boolean {
  try {
    // 36 base64 characters are the 27 bytes of "-----BEGIN CERTIFICATE-----"; a shorter blob cannot say.
    return atob(base64.slice(0, 36)).startsWith('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}

/**
 * `text` with every private key in it replaced by [redacted]: PEM private key blocks, base64 of any PEM
 * that is not plainly a certificate (a cut-off one may be a key), and the value of every *_KEY field.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, `-----BEGIN $1PRIVATE KEY----- ${REDACTED}`)
    .replace(BASE64_PEM, (blob) => (decodesToCertificate(blob) ? blob : REDACTED))
    .replace(KEY_FIELD, (_all, name: string, sep: string) => `${name}${sep}${REDACTED}`);
}

/**
 * Instance metadata as it may be shown: values under secret-looking keys (kube-master-certs, ssh-keys, ...)
 * are withheld whole, every other value has its private keys redacted (kube-env's *_KEY lines).
 */
export function redactMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata).map(([key, value]) => [
      key,
      SECRET_METADATA_KEY.test(key) ? REDACTED : redactSecrets(value),
    ]),
  );
}
