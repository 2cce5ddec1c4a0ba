// Concurrent calls with one transaction_id on real Redis, spread over two replicas sharing
// the idempotency store: exactly one is scored; every other payload is a 409, the same payload
// the identical answer; the windows and flags of both replicas together count it once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import type { RiskFlag } from '../../src/domain/flag.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import type { WindowRow } from '../../src/domain/windows.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import { TEST_REDIS_URL, connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.ts';

const redis = connectTestRedis();
const prefix = uniquePrefix('race');
const dirs = [
  mkdtempSync(join(tmpdir(), 'risk-race-a-')),
  mkdtempSync(join(tmpdir(), 'risk-race-b-')),
];
let replicas: App[] = [];
before(async () => {
  replicas = await Promise.all(
    dirs.map((dir) =>
      buildTestApp({
        WINDOWS_AUTH: 'none',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        DATA_DIR: dir,
        WINDOW_FLUSH_INTERVAL_MS: '20',
        RISK_WINDOW_SECONDS: '1800',
      }),
    ),
  );
});
after(async () => {
  await Promise.all(replicas.map((a) => a.close()));
  await dropPrefix(redis, prefix);
  redis.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function flagsFor(id: string): RiskFlag[] {
  return dirs.flatMap((dir) => {
    let text: string;
    try {
      text = readFileSync(join(dir, 'flags.ndjson'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as RiskFlag)
      .filter((f) => f.transaction_id === id);
  });
}

async function windowCount(day: string): Promise<number> {
  let n = 0;
  for (const app of replicas) {
    const res = await app.http.inject({
      method: 'GET',
      url: `/v1/windows?from=${day}T00:00:00Z&to=${day}T23:59:59Z`,
    });
    for (const r of res.json<{ windows: WindowRow[] }>().windows) n += r.transaction_count;
  }
  return n;
}

function payload(id: string, day: string, i: number): Transaction {
  return {
    transaction_id: id,
    timestamp: `${day}T10:00:00Z`,
    amount: 100 + i,
    currency: 'USD',
    account_id: `${id}-acct`,
    location: i % 2 === 0 ? 'KP' : 'US',
  };
}

describe('one answer per transaction_id across replicas on Redis', () => {
  for (let trial = 1; trial <= 10; trial++) {
    test(`trial ${trial}: different payloads at once`, async () => {
      const day = `2024-03-${String(trial).padStart(2, '0')}`;
      const id = `race-redis-${trial}`;
      const calls = Array.from({ length: 6 }, (_, i) =>
        postScore(replicas[i % 2] as App, payload(id, day, i)),
      );
      const results = await Promise.all(calls);
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, JSON.stringify(results.map((r) => [r.status, r.body])));
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.equal(r.status, 409);
        assert.equal((r.body.error as { code: string }).code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
      }
      const winner = ok[0]?.body ?? {};
      assert.equal(winner.degraded, false);
      await waitFor(async () => (await windowCount(day)) === 1, 3000, 'the windows count it');
      const flags = flagsFor(id);
      assert.equal(flags.length, winner.risk_flag === true ? 1 : 0, JSON.stringify(flags));
      // A replay on either replica is the winner's answer.
      const w = results.findIndex((r) => r.status === 200);
      const again = await postScore(replicas[1] as App, payload(id, day, w));
      assert.deepEqual(again.body, winner);
      assert.equal(await windowCount(day), 1);
    });
  }

  test('the same payload at once on both replicas: one answer, identical replays', async () => {
    const day = '2024-04-01';
    const tx = payload('race-redis-same', day, 0);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postScore(replicas[i % 2] as App, tx)),
    );
    assert.ok(results.every((r) => r.status === 200));
    for (const r of results) assert.deepEqual(r.body, results[0]?.body);
    await waitFor(async () => (await windowCount(day)) === 1, 3000, 'the windows count it');
    // Both replicas may have stored the flag of this one answer: one flag_id, deduplicated.
    assert.equal(new Set(flagsFor('race-redis-same').map((f) => f.flag_id)).size, 1);
  });
});
