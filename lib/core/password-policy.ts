// What a password must be (issue 12, finding 9): at least 12 characters, not the account's email (nor its name
// part), and not guessable: zxcvbn-ts (the maintained TypeScript port of Dropbox's zxcvbn) with its common
// dictionary (passwords, diceware words, keyboard patterns) must score it at least 3 of 4, with the email and the
// name as words an attacker knows. Pure; the same check runs for an admin's new account, a password change and
// the bootstrap admin's one-time password.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
/** zxcvbn's score 3: "safely unguessable: moderate protection from offline slow-hash scenario" (about 10^8 guesses and more). */
export const MIN_PASSWORD_SCORE = 3;

let factory: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return factory;
}

/** zxcvbn-ts's warning keys this policy says in words (warningText; the catalog's `serverRefusals.weakPassword`). */
export const PASSWORD_WARNINGS = [
  'straightRow',
  'keyPattern',
  'simpleRepeat',
  'extendedRepeat',
  'sequences',
  'recentYears',
  'dates',
  'topTen',
  'topHundred',
  'common',
  'similarToCommon',
  'wordByItself',
  'namesByThemselves',
  'commonNames',
  'userInputs',
  'pwned',
] as const;
type PasswordWarning = (typeof PASSWORD_WARNINGS)[number];

function isPasswordWarning(key: string): key is PasswordWarning {
  return (PASSWORD_WARNINGS as readonly string[]).includes(key);
}

/**
 * Why a password is refused: the sentence, and its words for the page (`variant`: short, long, email or guessable;
 * `length`, `min`, `max`; `warning`, one of PASSWORD_WARNINGS or '' when zxcvbn gave none or one it does not know).
 */
export type PasswordProblem = {
  message: string;
  params: {
    variant: 'short' | 'long' | 'email' | 'guessable';
    length?: number;
    min?: number;
    max?: number;
    warning?: string;
  };
};

/** Why `password` is refused for the account, in one sentence with its words, or null when it may be used. */
export function passwordProblemOf(
  password: string,
  account: { email?: string | null; name?: string | null } = {},
): PasswordProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return {
      message: `The password has ${password.length} characters; it needs at least ${MIN_PASSWORD_LENGTH}.`,
      params: { variant: 'short', length: password.length, min: MIN_PASSWORD_LENGTH },
    };
  if (password.length > MAX_PASSWORD_LENGTH)
    return {
      message: `The password is longer than ${MAX_PASSWORD_LENGTH} characters.`,
      params: { variant: 'long', max: MAX_PASSWORD_LENGTH },
    };
  const email = account.email?.trim().toLowerCase() ?? '';
  const lower = password.toLowerCase();
  const local = email.split('@')[0] ?? '';
  if (
    email !== '' &&
    (lower === email ||
      lower.includes(email) ||
      (local.length >= 4 && lower.replace(/[^a-z0-9]/g, '') === local.replace(/[^a-z0-9]/g, '')))
  ) {
    return {
      message: 'The password is the account’s email address; choose something else.',
      params: { variant: 'email' },
    };
  }
  const userInputs = [
    email,
    local,
    ...(account.name ? [account.name, account.name.replace(/\s+/g, ''), ...account.name.split(/\s+/)] : []),
    'quorum',
  ].filter((w) => w !== '');
  const result = zxcvbn().check(password, userInputs);
  if (result.score >= MIN_PASSWORD_SCORE) return null;
  return guessable(result.feedback.warning ?? '');
}

/** A password too easy to guess, with zxcvbn's warning key ('' for none). */
export function guessable(key: string): PasswordProblem {
  const warning = key === '' ? '' : ` (${isPasswordWarning(key) ? WARNING_WORDS[key] : key})`;
  return {
    message: `The password is too easy to guess${warning}: it is common, a pattern, or made of the account’s own name. Use a longer phrase of unrelated words.`,
    params: { variant: 'guessable', warning: isPasswordWarning(key) ? key : '' },
  };
}

/** Why `password` is refused for the account, in one sentence, or null when it may be used. */
export function passwordProblem(
  password: string,
  account: { email?: string | null; name?: string | null } = {},
): string | null {
  return passwordProblemOf(password, account)?.message ?? null;
}

/** zxcvbn-ts reports warnings as translation keys without a language pack: say them in words. */
const WARNING_WORDS: Record<PasswordWarning, string> = {
  straightRow: 'a row of keys',
  keyPattern: 'a keyboard pattern',
  simpleRepeat: 'repeated characters',
  extendedRepeat: 'repeated groups of characters',
  sequences: 'a sequence like abc or 6543',
  recentYears: 'recent years',
  dates: 'a date',
  topTen: 'one of the ten most used passwords',
  topHundred: 'one of the hundred most used passwords',
  common: 'a commonly used password',
  similarToCommon: 'close to a commonly used password',
  wordByItself: 'a single word',
  namesByThemselves: 'a name',
  commonNames: 'a common name',
  userInputs: 'the account’s own details',
  pwned: 'a password found in breaches',
};
