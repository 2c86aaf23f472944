// Where a request came from, for the audit log: the first x-forwarded-for hop, else x-real-ip, else 'unknown'.
// Only an address-shaped value is kept (no header injection into the log). Behind no proxy these headers are
// the client's own word; put the dashboard behind a proxy that sets them when the address matters.
export function sourceOf(h: Headers): string {
  const forwarded = h.get('x-forwarded-for')?.split(',')[0]?.trim();
  const address = forwarded || h.get('x-real-ip')?.trim() || '';
  return /^[0-9a-fA-F:.]{2,45}$/.test(address) ? address : 'unknown';
}
