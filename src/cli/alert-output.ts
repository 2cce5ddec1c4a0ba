import type { RiskFlag } from '../domain/flag.ts';
import { RISK_FLAG_SCHEMA } from '../domain/flag.ts';

/**
 * Remembers the last `capacity` flag ids seen. Flags are delivered at least once (a publish
 * retried after a lost acknowledgement stores a second copy), and copies arrive close
 * together, so a bounded window of recent ids is enough for a consumer that lives long; one
 * that must never alert twice across restarts keeps flag_id in its own store under a unique
 * constraint instead.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** True the first time an id is seen (within the window); false for a repeat. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first one is the oldest.
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

/** The message as a flag, or an explanation of why it is not one. */
export function parseFlag(value: string | undefined): RiskFlag | string {
  if (value === undefined) return 'empty message';
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const f = v as Partial<RiskFlag>;
  if (f.schema !== RISK_FLAG_SCHEMA)
    return `schema is ${String(f.schema)}, not ${RISK_FLAG_SCHEMA}`;
  if (typeof f.flag_id !== 'string' || typeof f.transaction_id !== 'string')
    return 'flag_id or transaction_id missing';
  return f as RiskFlag;
}

/** One line for a person: when, what, how risky, who, which transaction, why. */
export function formatFlag(f: RiskFlag): string {
  const reasons = f.reasons.map((r) => `${r.rule} (${r.score})`).join(', ') || 'no rule';
  const anomaly = f.anomaly_score === null ? '' : `  anomaly ${f.anomaly_score.toFixed(2)}`;
  return (
    `${f.scored_at}  ${f.decision.toUpperCase().padEnd(7)}  score ${String(f.risk_score).padStart(3)}` +
    `  account ${f.account_id}  transaction ${f.transaction_id}${anomaly}  ←  ${reasons}`
  );
}
