/**
 * One conformance suite for every VelocityStore adapter: the memory store runs it as a unit
 * test, the Redis store against the real Redis that scripts/services.sh starts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { VelocityFeatures } from '../../src/domain/features.ts';
import { amountOf, entityKeys, toMicroParts } from '../../src/domain/features.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import { entityFeatures, toVelocityEvent } from '../../src/domain/velocity.ts';
import type { VelocityLimits, VelocityStore } from '../../src/pipeline/velocity-store.ts';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { makeTx } from '../helpers/tx.ts';

export type StoreFactory = (limits?: Partial<VelocityLimits>) => Promise<VelocityStore>;

const MIN = 60_000;
const HOUR = 60 * MIN;

export function velocityStoreConformance(name: string, make: StoreFactory): void {
  describe(`VelocityStore conformance: ${name}`, () => {
    async function withStore<T>(
      fn: (s: VelocityStore) => Promise<T>,
      limits?: Partial<VelocityLimits>,
    ): Promise<T> {
      const s = await make(limits);
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    }

    test('the first transaction of an account counts itself and has no history', () =>
      withStore(async (s) => {
        const f = await s.record(makeTx({ amount: 42.5 }));
        for (const w of ['1m', '10m', '1h', '24h']) {
          assert.equal(f[`account.count_${w}`], 1);
          assert.equal(f[`account.amount_${w}`], 42.5);
        }
        assert.equal(f['account.seconds_since_last'], null);
        assert.equal(f['account.avg_amount_24h'], null);
        assert.equal(f['account.distinct_merchants_1h'], 0);
        assert.equal(f['account.distinct_countries_24h'], 0);
        assert.equal(f['account.distinct_devices_24h'], 0);
      }));

    test('features appear only for the entities the transaction carries', () =>
      withStore(async (s) => {
        const bare = await s.record(makeTx());
        assert.deepEqual(
          Object.keys(bare).filter((k) => !k.startsWith('account.')),
          [],
        );
        const full = await s.record(
          makeTx({ at: 1, card_id: 'c', device_id: 'd', ip: '10.0.0.1', merchant_id: 'm' }),
        );
        for (const e of ['card', 'device', 'ip', 'merchant']) {
          assert.equal(full[`${e}.count_1m`], 1, `${e}.count_1m`);
        }
        assert.equal(full['ip.distinct_accounts_1h'], 1);
        assert.equal(full['device.distinct_accounts_24h'], 1);
        assert.equal(full['card.distinct_accounts_1h'], undefined);
      }));

    test('windows are (t − W, t]: an event exactly W earlier is outside', () =>
      withStore(async (s) => {
        const acct = 'acct-boundary';
        await s.record(makeTx({ account_id: acct, at: 0, amount: 1 }));
        const atEdge = await s.record(makeTx({ account_id: acct, at: MIN, amount: 2 }));
        assert.equal(atEdge['account.count_1m'], 1);
        assert.equal(atEdge['account.amount_1m'], 2);
        assert.equal(atEdge['account.count_10m'], 2);
        const inside = await s.record(makeTx({ account_id: acct, at: MIN + MIN - 1, amount: 4 }));
        assert.equal(inside['account.count_1m'], 2);
        assert.equal(inside['account.amount_1m'], 6);
        const dayEdge = await s.record(makeTx({ account_id: acct, at: 24 * HOUR, amount: 8 }));
        assert.equal(dayEdge['account.count_24h'], 3, 'the event at t − 24h drops out');
        assert.equal(dayEdge['account.amount_24h'], 14);
      }));

    test('window edges are exact to the millisecond up to year 9999', () =>
      withStore(async (s) => {
        // Event times of 15 digits (ms after 1970): beyond what Lua prints exactly ('%.14g').
        const end = Date.parse('9999-12-31T23:59:59.999Z');
        const at = (ms: number) => new Date(ms).toISOString();
        const tx = (ms: number, amount: number) => ({
          ...makeTx({ account_id: 'acct-9999', amount }),
          timestamp: at(ms),
        });
        await s.record(tx(end - 24 * HOUR - 1, 1));
        await s.record(tx(end - 24 * HOUR, 2));
        await s.record(tx(end - 24 * HOUR + 1, 4));
        const f = await s.record(tx(end, 8));
        assert.equal(f['account.count_24h'], 2, 'only the event 1 ms inside the day, and this');
        assert.equal(f['account.amount_24h'], 12);
        const late = await s.record(tx(end - 1, 16));
        assert.equal(late['account.count_24h'], 3, 'a late event: t − 24h + 1 ms … t');
        assert.equal(late['account.amount_24h'], 2 + 4 + 16);
      }));

    test('out-of-order arrival: later events are not counted, earlier ones are', () =>
      withStore(async (s) => {
        const acct = 'acct-ooo';
        const late = await s.record(makeTx({ account_id: acct, at: 30_000, amount: 10 }));
        assert.equal(late['account.count_1m'], 1);
        const early = await s.record(makeTx({ account_id: acct, at: 0, amount: 5 }));
        assert.equal(early['account.count_1m'], 1, 'the event 30 s in its future is not counted');
        assert.equal(early['account.seconds_since_last'], null);
        const mid = await s.record(makeTx({ account_id: acct, at: 20_000, amount: 1 }));
        assert.equal(mid['account.count_1m'], 2);
        assert.equal(mid['account.amount_1m'], 6);
        assert.equal(mid['account.seconds_since_last'], 20);
        assert.equal(mid['account.avg_amount_24h'], 5);
        const last = await s.record(makeTx({ account_id: acct, at: 40_000, amount: 3 }));
        assert.equal(last['account.count_1m'], 4);
        assert.equal(last['account.amount_1m'], 19);
        assert.equal(last['account.seconds_since_last'], 10);
        assert.equal(last['account.avg_amount_24h'], 5.333333, '(10 + 5 + 1) / 3, rounded to 1e-6');
      }));

    test('a repeated transaction id is counted once', () =>
      withStore(async (s) => {
        const tx = makeTx({ account_id: 'acct-repeat', merchant_id: 'm-repeat', amount: 7 });
        const first = await s.record(tx);
        const again = await s.record(tx);
        assert.deepEqual(again, first);
        const other = await s.record(makeTx({ account_id: 'acct-repeat', at: 1000, amount: 1 }));
        assert.equal(other['account.count_1m'], 2);
        assert.equal(other['account.amount_1m'], 8);
      }));

    test('a repeated id is counted once per entity key, whichever keys it carried before', () =>
      withStore(async (s) => {
        // As when an earlier attempt reached only some shards: the repeat counts nowhere twice.
        const tx = makeTx({ account_id: 'acct-partial', amount: 3 });
        await s.record(tx);
        const again = await s.record({ ...tx, card_id: 'card-partial' });
        assert.equal(again['account.count_1m'], 1);
        assert.equal(again['card.count_1m'], 1);
        const third = await s.record({ ...tx, card_id: 'card-partial' });
        assert.deepEqual(third, again);
      }));

    test('sums are exact beyond 2^53 micro-units (9 × 10^9 in currency units)', () =>
      withStore(async (s) => {
        let f: VelocityFeatures = {};
        for (let i = 0; i < 3; i++)
          f = await s.record(
            makeTx({ account_id: 'acct-big', at: i, amount: 4_000_000_000.000001 }),
          );
        assert.equal(f['account.amount_1m'], Number('12000000000.000003'));
        assert.equal(f['account.avg_amount_24h'], 4_000_000_000.000001);
        // A micro-unit beside 10^10 units: lost in a double sum of micro-units, and gone for good
        // once the big amount leaves a window kept incrementally.
        await s.record(makeTx({ account_id: 'acct-tiny', at: 0, amount: 1e10 }));
        await s.record(makeTx({ account_id: 'acct-tiny', at: 1000, amount: 0.000001 }));
        const g = await s.record(
          makeTx({ account_id: 'acct-tiny', at: MIN + 1, amount: 0.000001 }),
        );
        assert.equal(g['account.amount_1m'], 0.000002);
        assert.equal(g['account.amount_24h'], Number('10000000000.000002'));
        assert.equal(
          g['account.avg_amount_24h'],
          5_000_000_000.000001,
          '(1e10 + 1e-6) / 2, half up',
        );
      }));

    test('simultaneous transactions see each other as earlier', () =>
      withStore(async (s) => {
        await s.record(makeTx({ account_id: 'acct-same', at: 5000, amount: 2 }));
        const f = await s.record(makeTx({ account_id: 'acct-same', at: 5000, amount: 4 }));
        assert.equal(f['account.seconds_since_last'], 0);
        assert.equal(f['account.avg_amount_24h'], 2);
      }));

    test('distinct merchants, countries, devices and accounts', () =>
      withStore(async (s) => {
        const a = 'acct-distinct';
        await s.record(
          makeTx({
            account_id: a,
            at: 0,
            merchant_id: 'm1',
            location: 'US',
            device_id: 'd1',
            ip: 'ip-x',
          }),
        );
        await s.record(
          makeTx({ account_id: a, at: 1000, merchant_id: 'm2', location: 'FR', device_id: 'd1' }),
        );
        await s.record(makeTx({ account_id: 'acct-other', at: 2000, ip: 'ip-x', device_id: 'd1' }));
        const f = await s.record(
          makeTx({
            account_id: a,
            at: HOUR,
            merchant_id: 'm2',
            location: 'US',
            device_id: 'd2',
            ip: 'ip-x',
          }),
        );
        // m1 at t − 1h is outside the 1h window; m2 (at 1 s and now) counts once.
        assert.equal(f['account.distinct_merchants_1h'], 1);
        assert.equal(f['account.distinct_countries_24h'], 2);
        assert.equal(f['account.distinct_devices_24h'], 2);
        assert.equal(f['ip.distinct_accounts_1h'], 2, 'acct-other at 2 s and this account');
        assert.equal(f['device.distinct_accounts_24h'], 1, 'd2 is new');
        const d1 = await s.record(
          makeTx({ account_id: 'acct-third', at: HOUR + 1, device_id: 'd1' }),
        );
        assert.equal(d1['device.distinct_accounts_24h'], 3);
      }));

    test('a busy key folds its oldest events into tiles: no window forgets one', () =>
      withStore(
        async (s) => {
          // 3 raw events kept, 30 s tiles; one event every 10 s, amounts 1, 2, 4, ...
          const at = (sec: number) =>
            s.record(makeTx({ account_id: 'acct-busy', at: sec * 1000, amount: 2 ** (sec / 10) }));
          for (let sec = 0; sec <= 60; sec += 10) await at(sec);
          // Folded: 0, 10, 20 (tile [0, 30 s)) and 30 (tile [30 s, 60 s)); raw: 40, 50, 60.
          const f = await at(70);
          // (10 s, 70 s] holds 20 … 70 (6 events); tile [0, 30 s) overlaps its start, so its
          // events at 0 and 10 s count too: the window's start is rounded down to the tile.
          assert.equal(f['account.count_1m'], 8);
          assert.equal(f['account.amount_1m'], 255);
          assert.equal(f['account.count_10m'], 8, 'every event, exact');
          assert.equal(f['account.amount_24h'], 255);
          assert.equal(f['account.seconds_since_last'], 10);
          assert.equal(f['account.avg_amount_24h'], 18.142857, '(255 - 128) / 7, rounded to 1e-6');
          // (30 s, 90 s]: tile [0, 30 s) has left; tile [30 s, 60 s) holds 30 s (outside) and 40.
          const g = await at(90);
          assert.equal(g['account.count_1m'], 6, '30 s (rounded in) + 40, 50, 60, 70, 90');
          assert.equal(g['account.amount_1m'], 8 + 16 + 32 + 64 + 128 + 512);
          assert.equal(g['account.count_24h'], 9);
          // Past its tile, the window is exact again: (60 s, 120 s] at 120 s.
          const h = await at(120);
          assert.equal(h['account.count_1m'], 3, '70, 90, 120');
          assert.equal(h['account.amount_1m'], 128 + 512 + 4096);
          assert.equal(h['account.count_24h'], 10);
        },
        { maxEventsPerKey: 3, tileMs: 30_000 },
      ));

    test('a busy key keeps distinct values exact for in-order events', () =>
      withStore(
        async (s) => {
          let f: VelocityFeatures = {};
          for (let i = 0; i < 12; i++) {
            f = await s.record(
              makeTx({
                account_id: 'acct-busy-distinct',
                at: i * 60_000,
                merchant_id: `m${i}`,
                device_id: `d${i % 4}`,
                location: i < 2 ? 'FR' : 'US',
              }),
            );
          }
          assert.equal(f['account.count_1h'], 12);
          assert.equal(f['account.distinct_merchants_1h'], 12);
          assert.equal(f['account.distinct_devices_24h'], 4);
          assert.equal(f['account.distinct_countries_24h'], 2);
        },
        { maxEventsPerKey: 2, tileMs: 10 * MIN },
      ));

    test('events older than the retention behind the newest are trimmed', () =>
      withStore(
        async (s) => {
          await s.record(makeTx({ account_id: 'acct-ret', at: 0 }));
          await s.record(makeTx({ account_id: 'acct-ret', at: 2 * HOUR }));
          // Retention 1h: the event at 0 was trimmed when the one at 2h arrived. An event
          // arriving later than the retention still counts itself before it is trimmed.
          const f = await s.record(makeTx({ account_id: 'acct-ret', at: 30 * MIN }));
          assert.equal(f['account.count_1h'], 1);
          assert.equal(f['account.seconds_since_last'], null);
          // The late event is kept until a newer one trims it.
          const g = await s.record(makeTx({ account_id: 'acct-ret', at: 40 * MIN }));
          assert.equal(g['account.count_1h'], 2);
          // Read before trimming: 0:30, 0:40, 2:00 and itself; then 0:30 and 0:40 are trimmed.
          const h = await s.record(makeTx({ account_id: 'acct-ret', at: 2 * HOUR + 1 }));
          assert.equal(h['account.count_24h'], 4);
          const i = await s.record(makeTx({ account_id: 'acct-ret', at: 2 * HOUR + 2 }));
          assert.equal(i['account.count_24h'], 3, 'the events at 0:30 and 0:40 are gone');
        },
        { retentionMs: HOUR },
      ));

    test('any arrival order gives the reference features (property)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(txSpec(fc.integer({ min: 0, max: 3 * HOUR })), { minLength: 1, maxLength: 40 }),
          async (specs) => {
            run += 1;
            await withStore(async (s) => {
              const recorded: Transaction[] = [];
              for (const [i, spec] of specs.entries()) {
                const tx = pick(spec, i, `p${run}`, recorded);
                if (!recorded.includes(tx)) recorded.push(tx);
                assert.deepEqual(await s.record(tx), reference(tx, recorded));
              }
            });
          },
        ),
        { numRuns: 60, seed: 20240115, endOnFailure: true },
      );
    });

    test('busy keys never undercount, and overcount only by the tile at a window start (property)', async () => {
      // Any arrival order over 3 h, 3 raw events per key, 10-minute tiles. Against brute force:
      // each count and sum is at least the exact one and at most that of every event whose tile
      // overlaps the window; distinct values are exact in order and never below exact when late.
      const limits = { maxEventsPerKey: 3, tileMs: 10 * MIN };
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(txSpec(fc.integer({ min: 0, max: 3 * HOUR })), { minLength: 1, maxLength: 40 }),
          async (specs) => {
            run += 1;
            await withStore(async (s) => {
              const recorded: Transaction[] = [];
              let newest = -Infinity;
              for (const [i, spec] of specs.entries()) {
                const tx = pick(spec, i, `b${run}`, recorded);
                const repeat = recorded.includes(tx);
                if (!repeat) recorded.push(tx);
                const got = await s.record(tx);
                const exact = reference(tx, recorded);
                const upper = reference(tx, recorded, limits.tileMs);
                const ts = toVelocityEvent(tx).ts;
                const inOrder = !repeat && ts >= newest;
                if (!repeat) newest = Math.max(newest, ts);
                for (const [name, value] of Object.entries(exact)) {
                  const g = got[name];
                  const at = `${name} of transaction ${i}`;
                  if (/\.(count|amount)_/.test(name)) {
                    assert.ok(typeof g === 'number' && g >= value!, `${at}: ${g} < ${value}`);
                    assert.ok(g <= upper[name]!, `${at}: ${g} > ${upper[name]}`);
                  } else if (name.includes('.distinct_')) {
                    if (inOrder) assert.equal(g, value, at);
                    else assert.ok(typeof g === 'number' && g >= value!, `${at}: ${g} < ${value}`);
                  } else if (name === 'account.seconds_since_last' && inOrder) {
                    assert.equal(g, value, at);
                  }
                }
              }
            }, limits);
          },
        ),
        { numRuns: 40, seed: 20261202, endOnFailure: true },
      );
    });

    test('mostly in order over 30 h, with trimming, as the memory store (property)', async () => {
      // Windows slide and events leave them; a few arrive late; keys hit the cap or a short
      // retention. The memory store, which recomputes from its events, is the model.
      const limitsArb = fc.constantFrom<Partial<VelocityLimits>>(
        {},
        { maxEventsPerKey: 4, tileMs: 5 * MIN },
        { retentionMs: 2 * HOUR },
        { retentionMs: 90 * MIN, maxEventsPerKey: 6, tileMs: 7 * MIN },
        { maxEventsPerKey: 2, tileMs: 40 * MIN },
        { maxEventsPerKey: 3, tileMs: 1000 },
      );
      const stepArb = fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 40 * MIN }) },
        { weight: 1, arbitrary: fc.integer({ min: -3 * HOUR, max: -1 }) },
        { weight: 1, arbitrary: fc.constant(0) },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          limitsArb,
          fc.array(txSpec(stepArb), { minLength: 1, maxLength: 60 }),
          async (limits, specs) => {
            run += 1;
            const model = createMemoryVelocityStore({ limits });
            await withStore(async (s) => {
              const recorded: Transaction[] = [];
              let clock = 0;
              for (const [i, spec] of specs.entries()) {
                clock = Math.max(0, clock + spec.at);
                const tx = pick(
                  { ...spec, at: Math.min(clock, 30 * HOUR) },
                  i,
                  `q${run}`,
                  recorded,
                );
                if (!recorded.includes(tx)) recorded.push(tx);
                assert.deepEqual(await s.record(tx), await model.record(tx), `transaction ${i}`);
              }
            }, limits);
          },
        ),
        // A failure stops at once: shrinking through Redis round trips can take many minutes.
        { numRuns: 40, seed: 20241121, endOnFailure: true },
      );
    });
  });
}

type TxSpec = ReturnType<typeof txSpec> extends fc.Arbitrary<infer T> ? T : never;

/** A transaction's shape: small pools of accounts, merchants, devices, IPs and cards collide. */
function txSpec(at: fc.Arbitrary<number>) {
  return fc.record({
    at,
    amount: fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
    ),
    account: fc.constantFrom('a1', 'a2', 'a3'),
    merchant: fc.option(fc.constantFrom('m1', 'm2', 'm3'), { nil: undefined }),
    country: fc.option(fc.constantFrom('US', 'GB', 'NG'), { nil: undefined }),
    device: fc.option(fc.constantFrom('d1', 'd2'), { nil: undefined }),
    ip: fc.option(fc.constantFrom('i1', 'i2'), { nil: undefined }),
    card: fc.option(fc.constantFrom('c1', 'c2'), { nil: undefined }),
    repeat: fc.boolean(),
  });
}

/** The transaction a spec stands for: a repeat of the previous one, or a new one. */
function pick(spec: TxSpec, i: number, run: string, recorded: readonly Transaction[]): Transaction {
  const previous = recorded[recorded.length - 1];
  if (spec.repeat && previous !== undefined) return previous;
  return {
    transaction_id: `${run}-${i}`,
    timestamp: new Date(Date.UTC(2024, 0, 15) + spec.at).toISOString(),
    amount: spec.amount,
    currency: 'USD',
    account_id: `${spec.account}-${run}`,
    ...(spec.merchant && { merchant_id: spec.merchant }),
    ...(spec.country && { location: spec.country }),
    ...(spec.device && { device_id: `${spec.device}-${run}` }),
    ...(spec.ip && { ip: `${spec.ip}-${run}` }),
    ...(spec.card && { card_id: `${spec.card}-${run}` }),
  };
}

/**
 * Brute force over every recorded transaction: what any store must answer. With `tileMs`, the
 * most a busy key may count: every event moved to its tile's start, with the window reaching
 * one tile further back (an event counts when its tile overlaps the window).
 */
function reference(
  tx: Transaction,
  recorded: readonly Transaction[],
  tileMs?: number,
): VelocityFeatures {
  const current = toVelocityEvent(tx);
  const out: VelocityFeatures = {};
  for (const { entity, value } of entityKeys(tx)) {
    const same = recorded
      .filter((r) => entityKeys(r).some((k) => k.entity === entity && k.value === value))
      .map(toVelocityEvent)
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (tileMs === undefined) {
      Object.assign(out, entityFeatures(entity, current, same));
      continue;
    }
    // Tile [kR, kR + R) overlaps (t - W, t] when kR <= t and kR + R > t - W.
    for (const w of ['1m', '10m', '1h', '24h'] as const) {
      const ms = { '1m': MIN, '10m': 10 * MIN, '1h': HOUR, '24h': 24 * HOUR }[w];
      const inTile = same.filter((e) => {
        const start = Math.floor(e.ts / tileMs) * tileMs;
        return start <= current.ts && start + tileMs > current.ts - ms;
      });
      let units = 0;
      let micros = 0;
      for (const e of inTile) {
        const [u, m] = toMicroParts(e.amount);
        units += u;
        micros += m;
      }
      out[`${entity}.count_${w}`] = inTile.length;
      out[`${entity}.amount_${w}`] = amountOf(units, micros);
    }
  }
  return out;
}
