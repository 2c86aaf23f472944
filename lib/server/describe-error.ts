import 'server-only';
import { redactSecrets } from '@/lib/server/security/redact';

/** A one-line message safe to show an operator: never a stack, never a provider's multi-line dump, never a private key it quoted. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(message).split('\n')[0]?.slice(0, 300) || 'Unexpected error';
}
