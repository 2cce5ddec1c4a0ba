import { clearCredential, loadCredential } from './session.ts';

/** An API error in the service's shape: `{error: {code, message, details?}}`. */
export interface ErrorDetail {
  field?: string;
  rule?: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Called when the service refuses the credential (401): the app goes back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export function authHeaders(): Record<string, string> {
  const c = loadCredential();
  // A token goes as a bearer header; a password session rides on its HttpOnly cookie, with the
  // header the service asks of cookie requests that change state (its CSRF defence).
  if (c?.kind === 'token') return { authorization: `Bearer ${c.token}` };
  return c?.kind === 'session' ? { 'x-risk-csrf': '1' } : {};
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: the status says enough.
  }
  const e = (body as { error?: { code?: string; message?: string; details?: ErrorDetail[] } })
    ?.error;
  return new ApiError(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? `${res.status} ${res.statusText}`,
    e?.details ?? [],
  );
}

/** A JSON call to the service's API with the signed-in credential. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...authHeaders(),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    credentials: 'same-origin',
    cache: 'no-store',
    ...(opts.signal !== undefined && { signal: opts.signal }),
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && opts.quiet401 !== true) {
      clearCredential();
      onUnauthorized();
    }
    throw err;
  }
  return (await res.json()) as T;
}

export interface StreamHandlers {
  onEvent(event: string, data: string): void;
  onOpen?(): void;
  onError?(err: unknown): void;
}

/**
 * Reads a server-sent event stream with fetch, so that it can carry the Authorization header
 * (EventSource cannot, and a token in the URL would land in logs). Reconnects after the
 * server's `retry` delay until `signal` aborts.
 */
export function readEventStream(path: string, h: StreamHandlers, signal: AbortSignal): void {
  let retryMs = 2000;
  const connect = async (): Promise<void> => {
    const res = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
    if (!res.ok || res.body === null) {
      const err = await errorOf(res);
      if (res.status === 401) {
        clearCredential();
        onUnauthorized();
      }
      throw err;
    }
    h.onOpen?.();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = v;
          else if (field === 'data') data.push(v);
          else if (field === 'retry' && /^\d+$/.test(v)) retryMs = Number(v);
        }
        if (data.length > 0) h.onEvent(event, data.join('\n'));
      }
    }
  };
  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await connect();
      } catch (err) {
        if (signal.aborted) return;
        h.onError?.(err);
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return;
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void loop();
}
