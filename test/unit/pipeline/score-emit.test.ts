import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDecisionCache } from '../../../src/adapters/memory/memory-decision-cache.ts';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.ts';
import type { RiskFlag } from '../../../src/domain/flag.ts';
import type { WindowInput } from '../../../src/domain/windows.ts';
import { LONGEST_WINDOW_MS } from '../../../src/domain/features.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { createScorer } from '../../../src/pipeline/score.ts';
import { declineKpRules } from '../../helpers/fakes.ts';
import { T0, makeTx } from '../../helpers/tx.ts';

const rules = declineKpRules;

function scorer(flags: { append(f: RiskFlag): Promise<void> }) {
  const folded: WindowInput[] = [];
  const score = createScorer({
    velocity: createMemoryVelocityStore({
      limits: { retentionMs: LONGEST_WINDOW_MS, maxEventsPerKey: 1000 },
    }),
    decisions: createMemoryDecisionCache(),
    rules,
    clock: { now: () => T0 + 3_600_000 },
    logger: silentLogger,
    thresholds: { review: 50, decline: 80 },
    flags,
    windows: { add: (w) => folded.push(w) },
  });
  return { score, folded };
}

describe('scorer emissions', () => {
  test('the flag is stored before the answer; concurrent duplicates fold into windows once', async () => {
    const appended: RiskFlag[] = [];
    let answered = false;
    const { score, folded } = scorer({
      append: async (f) => {
        await new Promise((r) => setTimeout(r, 5));
        assert.equal(answered, false, 'the answer waited for the flag');
        appended.push(f);
      },
    });
    const tx = makeTx({ location: 'KP' });
    const outcomes = await Promise.all([score(tx), score(tx), score(tx)]);
    answered = true;
    assert.equal(outcomes.filter((o) => !o.replayed).length, 1);
    assert.equal(folded.length, 1);
    assert.equal(folded[0]?.risk_score, 100);
    // Each concurrent call may have appended before learning it lost: same flag_id each time.
    assert.ok(appended.length >= 1);
    assert.equal(new Set(appended.map((f) => f.flag_id)).size, 1);
    await score(tx);
    assert.equal(folded.length, 1, 'a replay folds nothing');
  });

  test('an outbox that fails degrades the answer with flag_unavailable, and still decides', async () => {
    const { score, folded } = scorer({ append: () => Promise.reject(new Error('disk full')) });
    const { response } = await score(makeTx({ location: 'KP' }));
    assert.equal(response.decision, 'decline');
    assert.equal(response.degraded, true);
    assert.deepEqual(response.degraded_reasons, ['flag_unavailable']);
    assert.equal(folded.length, 1);
  });

  test('approved transactions append nothing', async () => {
    const appended: RiskFlag[] = [];
    const { score, folded } = scorer({
      append: (f) => {
        appended.push(f);
        return Promise.resolve();
      },
    });
    await score(makeTx({ location: 'US' }));
    assert.equal(appended.length, 0);
    assert.equal(folded.length, 1);
  });
});
