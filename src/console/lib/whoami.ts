import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import type { Whoami } from './types.ts';

/**
 * Who the credential belongs to and their role, asked of the service (GET /v1/session answers
 * for a token as for a password session): the pages show only the buttons the role may use.
 * Null until the answer comes, or when the service cannot say (the buttons stay hidden; the
 * service checks every call anyway).
 */
export function useWhoami(): Whoami | null {
  const [who, setWho] = useState<Whoami | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    api<Whoami>('GET', '/v1/session', undefined, { signal: abort.signal })
      .then((w) => setWho({ user: w.user, role: w.role }))
      .catch(() => undefined);
    return () => abort.abort();
  }, []);
  return who;
}
