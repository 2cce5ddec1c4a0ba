/**
 * The signed-in credential, kept for this tab only (sessionStorage: gone when the tab closes,
 * never shared with other tabs or sent anywhere but this service's API).
 */
export type Credential =
  | { kind: 'token'; token: string }
  | { kind: 'session'; user: string; role: string; expiresAt: string };

const KEY = 'risk-console.credential';

export function loadCredential(): Credential | null {
  const text = sessionStorage.getItem(KEY);
  if (text === null) return null;
  try {
    const c = JSON.parse(text) as Credential;
    if (c.kind === 'token' && typeof c.token === 'string' && c.token !== '') return c;
    if (c.kind === 'session' && typeof c.user === 'string') return c;
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

export function saveCredential(c: Credential): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export function clearCredential(): void {
  sessionStorage.removeItem(KEY);
}
