import type { RiskFlag } from '../../src/domain/flag.ts';
import { buildRiskFlag } from '../../src/domain/flag.ts';
import type {
  ClaimedBatch,
  FlagPublisher,
  OutboxStats,
  OutboxStore,
} from '../../src/pipeline/flag-outbox.ts';
import type { RulesetSource } from '../../src/pipeline/ruleset-source.ts';

/** A ruleset that declines every transaction from KP, and nothing else. */
export const declineKpRules: RulesetSource = {
  current: () => ({
    version: 'test',
    ruleCount: 1,
    evaluate: (facts) =>
      facts.location === 'KP' ? [{ rule: 'kp', score: 100, action: 'decline' }] : [],
  }),
  close: () => Promise.resolve(),
};

let n = 0;

/** A valid flag with a fresh transaction_id. */
export function makeFlag(over: Partial<RiskFlag> = {}): RiskFlag {
  n += 1;
  const flag = buildRiskFlag({
    transaction: {
      transaction_id: `flag-tx-${process.pid}-${n}`,
      account_id: `acct-${n % 7}`,
      timestamp: '2024-01-15T10:00:00Z',
    },
    response: {
      decision: 'review',
      risk_score: 60,
      reasons: [{ rule: 'r', score: 60 }],
      anomaly_score: null,
      ruleset_version: '1',
      model_version: null,
      evaluated_at: new Date().toISOString(),
    },
  });
  if (flag === null) throw new Error('unreachable: review is flagged');
  return { ...flag, ...over };
}

/** An outbox in memory with the claim/ack/release contract of the real ones. */
export class MemoryOutbox implements OutboxStore {
  readonly name = 'memory';
  readonly rows: Array<{ flag: RiskFlag; at: number; dueAt: number }> = [];
  private readonly listeners: Array<() => void> = [];
  failClaims = 0;

  append(flag: RiskFlag): Promise<void> {
    if (!this.rows.some((r) => r.flag.flag_id === flag.flag_id))
      this.rows.push({ flag, at: Date.now(), dueAt: 0 });
    for (const l of this.listeners) l();
    return Promise.resolve();
  }

  onAppend(listener: () => void): void {
    this.listeners.push(listener);
  }

  claim(max: number): Promise<ClaimedBatch | null> {
    if (this.failClaims > 0) {
      this.failClaims -= 1;
      return Promise.reject(new Error('claim failed'));
    }
    const now = Date.now();
    const due = this.rows.filter((r) => r.dueAt <= now).slice(0, max);
    if (due.length === 0) return Promise.resolve(null);
    for (const r of due) r.dueAt = now + 60_000; // leased
    return Promise.resolve({
      records: due.map((r) => r.flag),
      oldestAppendedAtMs: Math.min(...due.map((r) => r.at)),
      ack: () => {
        for (const r of due) this.rows.splice(this.rows.indexOf(r), 1);
        return Promise.resolve();
      },
      release: (retryInMs: number) => {
        for (const r of due) r.dueAt = Date.now() + retryInMs;
        return Promise.resolve();
      },
    });
  }

  stats(): Promise<OutboxStats> {
    return Promise.resolve({
      depth: this.rows.length,
      oldestAppendedAtMs: this.rows.length > 0 ? Math.min(...this.rows.map((r) => r.at)) : null,
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A broker stand-in: records acknowledged batches; `down` makes every publish fail. */
export class FakePublisher implements FlagPublisher {
  readonly batches: RiskFlag[][] = [];
  down = false;
  attempts = 0;

  publish(flags: readonly RiskFlag[]): Promise<void> {
    this.attempts += 1;
    if (this.down) return Promise.reject(new Error('broker unreachable'));
    this.batches.push([...flags]);
    return Promise.resolve();
  }

  get published(): RiskFlag[] {
    return this.batches.flat();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Polls `cond` (every 10 ms) until it holds; throws naming `what` once `timeoutMs` pass. The one
 * way tests wait: for a condition, with a deadline generous enough for a loaded machine (the
 * wait ends as soon as the condition holds, so a generous deadline costs nothing).
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
