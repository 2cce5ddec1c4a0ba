import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import type { Whoami } from './types.ts';

/**
 * Who the credential belongs to and their role, asked of the service (GET /v1/session answers
 * for a token as for a password session): the pages show only the buttons the role may use.
 * Undefined until the answer comes; null when the service cannot say (the buttons stay hidden;
 * the service checks every call anyway).
 */
export function useWhoami(): Whoami | null | undefined {
  const [who, setWho] = useState<Whoami | null | undefined>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    api<Whoami>('GET', '/v1/session', undefined, { signal: abort.signal })
      .then((w) => setWho({ user: w.user, role: w.role }))
      .catch(() => {
        if (!abort.signal.aborted) setWho(null);
      });
    return () => abort.abort();
  }, []);
  return who;
}
