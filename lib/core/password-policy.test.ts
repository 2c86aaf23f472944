import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['short1', /at least 12/],
    ['aaaaaaaaaaaa', /too easy to guess/],
    ['password1234', /too easy to guess/],
    ['qwertyuiop12', /too easy to guess/],
    ['123456789012', /too easy to guess/],
    ['iloveyou2026', /too easy to guess/],
  ])('refuses %s', (password, why) => {
    expect(passwordProblem(password, { email: 'olga@example.com' })).toMatch(why);
  });

  it('refuses the email itself, in any case, and the email with its punctuation dropped', () => {
    expect(passwordProblem('Olga.Operator@example.com', { email: 'olga.operator@example.com' })).toMatch(/email/);
    expect(passwordProblem('olgaoperatorexamplecom'.slice(0, 12), { email: 'olga-operat@example.com' })).not.toBeNull();
    expect(passwordProblem('olgaoperator', { email: 'olga.operator@example.com' })).toMatch(/email/);
  });

  it('refuses a password made of the account’s name', () => {
    expect(passwordProblem('OlgaOperator1', { email: 'o@example.com', name: 'Olga Operator' })).toMatch(/too easy/);
  });

  it('accepts random and long passphrase passwords', () => {
    // What randomBytes(12 or 18).toString('base64url') makes, as the e2e specs and the bootstrap do.
    expect(passwordProblem('q3Jx_T8vLm0aZp2R', { email: 'olga@example.com' })).toBeNull();
    expect(
      passwordProblem('Wk4-bN9sQe7hYt2uXc5vLr8d', { email: 'admin@quorum.local', name: 'Administrator' }),
    ).toBeNull();
    expect(passwordProblem('correct horse battery staple umbrella', { email: 'olga@example.com' })).toBeNull();
  });
});
