import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.ts';
import type { Credential } from '../lib/session.ts';
import { saveCredential } from '../lib/session.ts';

interface SessionAnswer {
  user: string;
  role: string;
  expires_at: string;
}

async function checkToken(token: string): Promise<void> {
  // Any call that takes the credential tells whether it is good: the active ruleset is small.
  const res = await fetch('/v1/rules', {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    cache: 'no-store',
  });
  if (res.ok) return;
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  throw new ApiError(res.status, 'SIGN_IN', body?.error?.message ?? `${res.status}`);
}

/** Signs in with a token (ADMIN_TOKEN or a user's API token), or a username and password. */
export function SignInPage(props: { onSignedIn: (c: Credential) => void }) {
  const [withPassword, setWithPassword] = useState(false);
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signIn = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (!withPassword) {
        await checkToken(token.trim());
        const c: Credential = { kind: 'token', token: token.trim() };
        saveCredential(c);
        props.onSignedIn(c);
        return;
      }
      const res = await fetch('/v1/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      if (res.status === 404) {
        setError(
          'This service has no password sign-in (POST /v1/session is not available here): sign in with a token.',
        );
        return;
      }
      const body = (await res.json().catch(() => null)) as
        (SessionAnswer & { error?: { message?: string } }) | null;
      if (!res.ok || body === null) {
        setError(body?.error?.message ?? `sign-in failed (${res.status})`);
        return;
      }
      const c: Credential = {
        kind: 'session',
        user: body.user,
        role: body.role,
        expiresAt: body.expires_at,
      };
      saveCredential(c);
      props.onSignedIn(c);
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err.status === 401 || err.status === 403
            ? `The service refused this token: ${err.message}`
            : err.message
          : 'The service could not be reached.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={(e) => void signIn(e)}>
        <h1>Risk console</h1>
        {withPassword ? (
          <>
            <label>
              Username
              <input
                name="username"
                autocomplete="username"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                required
              />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autocomplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                required
              />
            </label>
          </>
        ) : (
          <label>
            Token
            <input
              name="token"
              type="password"
              autocomplete="off"
              placeholder="ADMIN_TOKEN or your API token"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              required
            />
          </label>
        )}
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setWithPassword(!withPassword);
            setError(null);
          }}
        >
          {withPassword ? 'sign in with a token' : 'sign in with a password'}
        </button>
      </form>
    </main>
  );
}
