export type Decisions = Record<'approve' | 'review' | 'decline', number>;

/** A service's decision counters for one front door, from its /metrics (zeros if it has none). */
export async function decisionsOf(url: string, transport: 'rest' | 'grpc'): Promise<Decisions> {
  const out: Decisions = { approve: 0, review: 0, decline: 0 };
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (res === undefined || res.status !== 200) return out;
  const text = await res.text();
  const line = /^risk_decisions_total\{decision="(\w+)",transport="(\w+)"\} (\d+)$/gm;
  for (const m of text.matchAll(line)) {
    if (m[2] !== transport) continue;
    if (m[1] === 'approve' || m[1] === 'review' || m[1] === 'decline') out[m[1]] = Number(m[3]);
  }
  return out;
}

/** What changed between two readings. */
export function decisionsBetween(before: Decisions, after: Decisions): Decisions {
  return {
    approve: after.approve - before.approve,
    review: after.review - before.review,
    decline: after.decline - before.decline,
  };
}

/** `approve / review / decline` as percentages, or a dash when nothing was decided. */
export function decisionMix(d: Decisions): string {
  const total = d.approve + d.review + d.decline;
  if (total === 0) return '—';
  const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
  return `${pct(d.approve)} / ${pct(d.review)} / ${pct(d.decline)}`;
}

/** Logs "label: k/N s" every second until stopped: a timed run is never silent. */
export function progress(log: (m: string) => void, label: string, seconds: number): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    if (s <= seconds) log(`  ${label}: ${s}/${seconds} s`);
  }, 1000);
  return () => clearInterval(timer);
}
