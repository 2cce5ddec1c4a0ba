// The scorer's one-call first step (VelocityStore.recordFirst, one Redis): what each of its
// answers, or its failure, makes of the call. The Redis script itself is tested against a real
// Redis in test/integration/redis-velocity-store.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDecisionCache } from '../../../src/adapters/memory/memory-decision-cache.ts';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.ts';
import { isRiskError } from '../../../src/domain/errors.ts';
import { LONGEST_WINDOW_MS } from '../../../src/domain/features.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import type { DecisionCache } from '../../../src/pipeline/decision-cache.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { createScorer, hashPayload } from '../../../src/pipeline/score.ts';
import type { FirstRecord, VelocityStore } from '../../../src/pipeline/velocity-store.ts';
import { declineKpRules } from '../../helpers/fakes.ts';
import { T0, makeTx } from '../../helpers/tx.ts';

const rules = declineKpRules;

/** A memory velocity store whose first step answers `first` (or records, when it is null). */
function storeAnswering(
  first: (tx: Transaction, hash: string) => Promise<FirstRecord | null>,
): VelocityStore & { recorded: number; plainCalls: number } {
  const memory = createMemoryVelocityStore({
    limits: { retentionMs: LONGEST_WINDOW_MS, maxEventsPerKey: 1000 },
  });
  const store = {
    recorded: 0,
    plainCalls: 0,
    record: (tx: Transaction) => {
      store.plainCalls += 1;
      return memory.record(tx);
    },
    recordFirst: async (tx: Transaction, hash: string): Promise<FirstRecord> => {
      const answer = await first(tx, hash);
      if (answer !== null) return answer;
      store.recorded += 1;
      return { kind: 'recorded', features: await memory.record(tx) };
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return store;
}

function scorerWith(
  velocity: VelocityStore,
  decisions: DecisionCache = createMemoryDecisionCache(),
) {
  const folded: unknown[] = [];
  const score = createScorer({
    velocity,
    decisions: {
      ...decisions,
      // The one-call first step replaces these: the scorer must not send them too.
      get: () => Promise.reject(new Error('get sent beside recordFirst')),
      claim: () => Promise.reject(new Error('claim sent beside recordFirst')),
    },
    rules,
    clock: { now: () => T0 + 3_600_000 },
    logger: silentLogger,
    thresholds: { review: 50, decline: 80 },
    windows: { add: (w) => folded.push(w) },
  });
  return { score, folded };
}

describe('scorer first step in one call (recordFirst)', () => {
  test('recorded: the features are the store’s and the answer is stored once', async () => {
    const velocity = storeAnswering(() => Promise.resolve(null));
    const decisions = createMemoryDecisionCache();
    const { score, folded } = scorerWith(velocity, decisions);
    const tx = makeTx({ location: 'KP' });
    const { response, replayed } = await score(tx);
    assert.equal(replayed, false);
    assert.equal(response.decision, 'decline');
    assert.equal(response.degraded, false);
    assert.equal(response.features['account.count_1h'], 1);
    assert.equal(velocity.recorded, 1);
    assert.equal(velocity.plainCalls, 0, 'record is not called beside recordFirst');
    assert.equal(folded.length, 1);
    const stored = await decisions.get(tx.transaction_id);
    assert.equal(stored?.payloadHash, hashPayload(tx));
    assert.equal(stored?.response.decision, 'decline');
  });

  test('stored: the stored answer is replayed, nothing folded; another payload is a conflict', async () => {
    const tx = makeTx({ location: 'KP' });
    const first = createScorer({
      velocity: storeAnswering(() => Promise.resolve(null)),
      decisions: createMemoryDecisionCache(),
      rules,
      clock: { now: () => T0 + 3_600_000 },
      logger: silentLogger,
      thresholds: { review: 50, decline: 80 },
    });
    const original = (await first(tx)).response;
    const stored = { payloadHash: hashPayload(tx), response: original };
    const { score, folded } = scorerWith(
      storeAnswering(() => Promise.resolve({ kind: 'stored', stored })),
    );
    const again = await score(tx);
    assert.equal(again.replayed, true);
    assert.deepEqual(again.response, original);
    assert.equal(folded.length, 0);
    const other = { ...tx, amount: tx.amount + 1 };
    await assert.rejects(score(other), (err: unknown) => {
      assert.ok(isRiskError(err));
      assert.equal(err.code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
      return true;
    });
  });

  test('claimed by another payload: a conflict, nothing stored or folded', async () => {
    const decisions = createMemoryDecisionCache();
    const { score, folded } = scorerWith(
      storeAnswering(() => Promise.resolve({ kind: 'claimed', payloadHash: 'someone-else' })),
      decisions,
    );
    const tx = makeTx();
    await assert.rejects(score(tx), (err: unknown) => {
      assert.ok(isRiskError(err));
      assert.equal(err.code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
      return true;
    });
    assert.equal(folded.length, 0);
    assert.equal(await decisions.get(tx.transaction_id), null);
  });

  test('failed: the answer is decided without velocity and says both stores were unavailable', async () => {
    const decisions = createMemoryDecisionCache();
    const { score, folded } = scorerWith(
      storeAnswering(() => Promise.reject(new Error('connection refused'))),
      decisions,
    );
    const tx = makeTx({ location: 'KP' });
    const { response, replayed } = await score(tx);
    assert.equal(replayed, false);
    assert.equal(response.decision, 'decline');
    assert.deepEqual(response.features, {});
    assert.equal(response.degraded, true);
    assert.deepEqual(response.degraded_reasons, [
      'idempotency_unavailable',
      'velocity_unavailable',
    ]);
    // The idempotency store was down: the answer is not stored, but the transaction is folded.
    assert.equal(await decisions.get(tx.transaction_id), null);
    assert.equal(folded.length, 1);
  });
});
