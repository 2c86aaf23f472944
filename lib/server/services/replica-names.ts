import 'server-only';
import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** kube-up's replica names: `<master>-` and three random lower-case letters or digits, none already taken. */
export function newReplicaNames(masterName: string, taken: ReadonlySet<string>, count: number): string[] {
  const names: string[] = [];
  while (names.length < count) {
    const name = `${masterName}-${Array.from({ length: 3 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
    if (!taken.has(name) && !names.includes(name)) names.push(name);
  }
  return names;
}
