import 'server-only';

// Posts one JSON notification to a webhook receiver and says, in words, how it went. No retries here: the notifier
// (lib/server/monitor/notifier.ts) decides whether an answer is worth another attempt.

export type WebhookPost = {
  url: string;
  body: unknown;
  /** Sent as `Authorization: Bearer <token>`; null for none. */
  bearer: string | null;
  timeoutMs: number;
};

export type WebhookAnswer =
  | { ok: true; status: number; message: string }
  /** `retryable`: no answer, a time-out, 408, 429 or a 5xx; a receiver refusing the request (other 4xx, a redirect) is not. */
  | { ok: false; status: number | null; message: string; retryable: boolean };

export type PostWebhook = (post: WebhookPost) => Promise<WebhookAnswer>;

const USER_AGENT = 'Quorum-Alerts/1 (+webhook; Alertmanager v4 or Slack JSON)';

export const postWebhook: PostWebhook = async ({ url, body, bearer, timeoutMs }) => {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
      // A redirect is not followed: the notification (and its bearer token) goes to the address an admin configured only.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, status: null, message: describeFetchFailure(error, url, timeoutMs), retryable: true };
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, message: `HTTP ${res.status}` };
  const said = text.replace(/\s+/g, ' ').trim().slice(0, 160);
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get('location');
    return {
      ok: false,
      status: res.status,
      message: `HTTP ${res.status}: the receiver redirects${location ? ` to ${location.slice(0, 200)}` : ''}; configure that address instead`,
      retryable: false,
    };
  }
  return {
    ok: false,
    status: res.status,
    message: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${said ? `: ${said}` : ''}`,
    retryable: res.status === 408 || res.status === 429 || res.status >= 500,
  };
};

/** `connection refused by 127.0.0.1:9`, `no answer within 5 s`, `host name receiver.invalid not found`... */
export function describeFetchFailure(error: unknown, url: string, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${formatSeconds(timeoutMs)}`;
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : '';
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the URL as given
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name ${host.replace(/:\d+$/, '')} not found`;
    case 'ECONNRESET':
      return `${host} closed the connection`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host}`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `no connection to ${host} within the deadline`;
    default:
      if (code.startsWith('ERR_TLS') || code.includes('CERT')) return `TLS with ${host} failed (${code})`;
  }
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `${host}: ${detail.split('\n')[0]?.slice(0, 200) ?? 'failed'}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
