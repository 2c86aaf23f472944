import 'server-only';

/** A one-line message safe to show an operator: never a stack, never a provider's multi-line dump. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.slice(0, 300) || 'Unexpected error';
}
