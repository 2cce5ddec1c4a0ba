import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transactionToProto } from '../../../src/api/grpc/messages.ts';
import type { App } from '../../../src/app/build-app.ts';
import type { RiskFlag } from '../../../src/domain/flag.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import type { WindowRow } from '../../../src/domain/windows.ts';
import { postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import type { GrpcTestServer } from '../../helpers/grpc.ts';
import { startGrpcApp } from '../../helpers/grpc.ts';

/*
 * Concurrent calls with one transaction_id (embedded defaults: the in-memory idempotency
 * store): exactly one is scored; another payload is a 409 / ALREADY_EXISTS, the same payload
 * the identical answer as a replay; the windows and the flags count the transaction once.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'risk-race-'));
let door: GrpcTestServer & { app: App };
before(async () => {
  door = await startGrpcApp({
    // The counts are read through GET /v1/windows; its credential is tested elsewhere.
    WINDOWS_AUTH: 'none',
    DATA_DIR: dataDir,
    WINDOW_FLUSH_INTERVAL_MS: '20',
    RISK_WINDOW_SECONDS: '1800',
  });
});
after(async () => {
  await door.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const flagsFor = (id: string): RiskFlag[] => {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'flags.ndjson'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RiskFlag)
    .filter((f) => f.transaction_id === id);
};

async function windowCount(day: string): Promise<number> {
  const res = await door.app.http.inject({
    method: 'GET',
    url: `/v1/windows?from=${day}T00:00:00Z&to=${day}T23:59:59Z`,
  });
  const rows = res.json<{ windows: WindowRow[] }>().windows;
  return rows.reduce((n, r) => n + r.transaction_count, 0);
}

/** Ten payloads under one id: half would decline (KP), half approve. */
function payloads(id: string, day: string): Transaction[] {
  return Array.from({ length: 10 }, (_, i) => ({
    transaction_id: id,
    timestamp: `${day}T10:00:00Z`,
    amount: 100 + i,
    currency: 'USD',
    account_id: `${id}-acct`,
    location: i % 2 === 0 ? 'KP' : 'US',
  }));
}

describe('one answer per transaction_id under concurrency', () => {
  test('REST: one 200, every other payload a 409; flags and windows once', async () => {
    const day = '2024-02-01';
    const id = 'race-rest-1';
    const results = await Promise.all(payloads(id, day).map((tx) => postScore(door.app, tx)));
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.deepEqual(
      results.filter((r) => r.status !== 200).map((r) => [r.status, r.body.error]),
      Array.from({ length: 9 }, () => [
        409,
        {
          code: 'RISK_ERR_IDEMPOTENCY_CONFLICT',
          message: `transaction_id "${id}" was already scored with a different payload`,
          retriable: false,
          details: [{ field: '/transaction_id', message: 'already used with a different payload' }],
        },
      ]),
    );
    const winner = ok[0]?.body ?? {};
    assert.equal(winner.degraded, false);
    await waitFor(async () => (await windowCount(day)) === 1, 2000, 'the window counts it');
    assert.equal(flagsFor(id).length, winner.risk_flag === true ? 1 : 0);
    for (const f of flagsFor(id)) assert.equal(f.decision, winner.decision);
  });

  test('REST: the same payload at once is one answer, the others identical replays', async () => {
    const day = '2024-02-02';
    const [tx] = payloads('race-rest-2', day);
    const results = await Promise.all(Array.from({ length: 8 }, () => postScore(door.app, tx)));
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(results.filter((r) => r.headers['idempotent-replay'] !== 'true').length, 1);
    for (const r of results) assert.deepEqual(r.body, results[0]?.body);
    await waitFor(async () => (await windowCount(day)) === 1, 2000, 'the window counts it');
    assert.equal(flagsFor('race-rest-2').length, 1, 'KP declines: one flag');
  });

  test('gRPC ScoreStream: one response, the other payloads ALREADY_EXISTS', async () => {
    const day = '2024-02-03';
    const id = 'race-grpc-1';
    const { items } = await door.client.scoreStream(payloads(id, day).map(transactionToProto));
    const responses = items.filter((i) => i.response !== undefined);
    const errors = items.filter((i) => i.error !== undefined);
    assert.equal(responses.length, 1, JSON.stringify(items));
    assert.equal(errors.length, 9);
    for (const e of errors) assert.equal(e.error?.code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(responses[0]?.response?.degraded, false);
    await waitFor(async () => (await windowCount(day)) === 1, 2000, 'the window counts it');
    assert.equal(flagsFor(id).length, responses[0]?.response?.risk_flag === true ? 1 : 0);
  });
});
