import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { hashPayload } from '../../../src/pipeline/score.ts';
import { simulatorFeed } from '../../../load-test/simulator/feed.ts';
import { makeTx } from '../../helpers/tx.ts';

// Stored idempotency records carry this hash: a change to it would turn a retry across a
// deploy into a conflict.
test(
  'hashPayload is the sha256 (base64url) of the sorted-key JSON text',
  { timeout: 60_000 },
  () => {
    const next = simulatorFeed({ seed: 3, runId: 'payload-hash' });
    const txs = [
      makeTx(),
      { ...makeTx(), metadata: { z: 1, a: 'x', m: true } },
      ...Array.from({ length: 500 }, next),
    ];
    for (const tx of txs) {
      const expected = createHash('sha256').update(stringify(tx)).digest('base64url');
      assert.equal(hashPayload(tx), expected, tx.transaction_id);
    }
    const tx = makeTx();
    const reversed = Object.fromEntries(Object.entries(tx).reverse()) as typeof tx;
    assert.equal(hashPayload(reversed), hashPayload(tx), 'key order does not matter');
    assert.notEqual(hashPayload({ ...tx, amount: tx.amount + 1 }), hashPayload(tx));
  },
);
