// The metadata server's DNS inside a twin VM, as GCE's answers at 169.254.169.254:53: instance names (the short name
// and the zonal FQDN) resolve to internal addresses from the moment the instance exists, and any other name is
// NXDOMAIN at once. The twin keeps the instance list in each VM's /etc/hosts (sandbox/net/twin-network.ts), and this
// answers from that file as it is at each query: a Go program (etcd) reads /etc/hosts through a cache of up to 5 s,
// so without an answering DNS a peer would not know a new member's name for seconds after its instance appeared.
// Only what resolvers ask of it: one question per query over UDP, class IN; A records, and an empty answer for other
// types of a known name.
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';

const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;
const TTL_SECONDS = 30;

/** Names to IPv4 addresses, from an /etc/hosts text (lower-cased names; IPv6 lines are left out). */
export function parseHosts(text: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const [ip, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) continue;
    for (const alias of aliases) {
      const name = alias.toLowerCase();
      const list = names.get(name) ?? [];
      if (!list.includes(ip)) list.push(ip);
      names.set(name, list);
    }
  }
  return names;
}

type Question = { name: string; type: number; klass: number; end: number };

function readQuestion(query: Buffer): Question | null {
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = query[at];
    if (length === undefined || length > 63) return null; // no compression in a question
    at += 1;
    if (length === 0) break;
    if (at + length > query.length) return null;
    labels.push(query.toString('latin1', at, at + length));
    at += length;
  }
  if (at + 4 > query.length) return null;
  return {
    name: labels.join('.').toLowerCase(),
    type: query.readUInt16BE(at),
    klass: query.readUInt16BE(at + 2),
    end: at + 4,
  };
}

/**
 * The answer to one DNS query, or null for what is no query at all (too short, a response). `lookup` gives the IPv4
 * addresses of a name (without the trailing dot), none when it is unknown.
 */
export function answerQuery(query: Buffer, lookup: (name: string) => readonly string[]): Buffer | null {
  if (query.length < 12 || (query.readUInt16BE(2) & 0x8000) !== 0) return null;
  const flags = query.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  const header = (rcode: number, questions: number, answers: number) => {
    const h = Buffer.alloc(12);
    query.copy(h, 0, 0, 2); // the id
    // QR, the opcode, AA, RD as asked, RA; the rcode.
    h.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 2);
    h.writeUInt16BE(questions, 4);
    h.writeUInt16BE(answers, 6);
    return h;
  };
  if (opcode !== 0) return header(RCODE_NOTIMP, 0, 0);
  const question = query.readUInt16BE(4) === 1 ? readQuestion(query) : null;
  if (!question) return header(RCODE_FORMERR, 0, 0);
  const asked = query.subarray(12, question.end);
  const ips = question.klass === CLASS_IN ? lookup(question.name) : [];
  if (ips.length === 0) return Buffer.concat([header(RCODE_NXDOMAIN, 1, 0), asked]);
  if (question.type !== TYPE_A) return Buffer.concat([header(0, 1, 0), asked]);
  const answers = ips.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(TTL_SECONDS, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
    return rr;
  });
  return Buffer.concat([header(0, 1, answers.length), asked, ...answers]);
}

/** Serves the DNS on `host`:53 (UDP) from the hosts file at `hostsFile`, read again at every query. */
export function startMetadataDns(opts: {
  host: string;
  hostsFile: string;
  port?: number;
  log: (msg: string) => void;
}): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, from) => {
    readFile(opts.hostsFile, 'utf8')
      .then((text) => {
        const hosts = parseHosts(text);
        const answer = answerQuery(query, (name) => hosts.get(name) ?? []);
        if (answer) socket.send(answer, from.port, from.address);
      })
      .catch((err: unknown) => opts.log(`metadata DNS: ${err instanceof Error ? err.message : String(err)}`));
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port ?? 53, opts.host, () => {
      socket.off('error', reject);
      socket.on('error', (err) => opts.log(`metadata DNS: ${err.message}`));
      resolve(socket);
    });
  });
}
