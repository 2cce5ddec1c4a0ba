import { useEffect, useState } from 'preact/hooks';

/** The app lives under /console/; its own paths are written without that prefix. */
export const BASE = '/console';

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return p === '' ? '/' : p;
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  history.pushState(null, '', BASE + path);
  for (const l of listeners) l();
}

/** The current app path, re-rendering on navigation (links and back/forward). */
export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = (): void => setPath(currentPath());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** An in-app link: a real href (open in a new tab works), navigation without a reload. */
export function onLink(e: MouseEvent, path: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(path);
}
