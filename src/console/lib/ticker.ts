import { useEffect, useState } from 'preact/hooks';

/** The time now, re-rendering every `everyMs`: ages shown on a page keep counting. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
