import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { TRANSACTION_FORMATS, transactionSchema } from '../../../src/domain/transaction.ts';
import { COUNTRIES } from '../../../load-test/simulator/population.ts';
import type { Scenario } from '../../../load-test/simulator/simulator.ts';
import { SCENARIOS, distanceKm, simulate } from '../../../load-test/simulator/simulator.ts';

const stream = simulate({ seed: 11, customers: 3000, hours: 48 });
const ms = (s: { transaction: { timestamp: string } }) => Date.parse(s.transaction.timestamp);
const of = (sc: Scenario) => stream.filter((s) => s.label.scenario === sc);
const campaigns = (sc: Scenario) => {
  const by = new Map<string, typeof stream>();
  for (const s of of(sc)) {
    const list = by.get(s.label.campaign ?? '') ?? [];
    list.push(s);
    by.set(s.label.campaign ?? '', list);
  }
  return [...by.values()];
};

test('same seed, same stream; another seed, another stream', () => {
  const again = simulate({ seed: 11, customers: 3000, hours: 48 });
  assert.deepEqual(again, stream);
  const other = simulate({ seed: 12, customers: 3000, hours: 48 });
  assert.notDeepEqual(other.slice(0, 50), stream.slice(0, 50));
});

test('every transaction is valid for the service, in event-time order, with unique ids', () => {
  const ajv = new Ajv({ allErrors: true, useDefaults: false, formats: { ...TRANSACTION_FORMATS } });
  addFormats.default(ajv);
  const validate = ajv.compile(transactionSchema);
  const ids = new Set<string>();
  let last = -Infinity;
  for (const s of stream) {
    assert.ok(validate(s.transaction), JSON.stringify(validate.errors));
    assert.ok(ms(s) >= last);
    last = ms(s);
    ids.add(s.transaction.transaction_id);
  }
  assert.equal(ids.size, stream.length);
  assert.ok(stream.length > 10_000, `${stream.length} transactions`);
});

test('every scenario appears, labelled, and fraud stays a small minority', () => {
  const fraud = stream.filter((s) => s.label.fraud);
  for (const sc of SCENARIOS) assert.ok(of(sc).length > 0, `no ${sc}`);
  assert.ok(fraud.every((s) => s.label.scenario !== null && s.label.campaign !== null));
  const rate = fraud.length / stream.length;
  assert.ok(rate > 0.002 && rate < 0.05, `fraud rate ${rate}`);
});

test('day and night: local nights are much quieter than local afternoons', () => {
  let night = 0;
  let afternoon = 0;
  for (const s of stream) {
    if (s.label.fraud || s.transaction.location === undefined) continue;
    const tz = COUNTRIES[s.transaction.location as keyof typeof COUNTRIES].tz;
    const hour = (new Date(ms(s)).getUTCHours() + tz + 24) % 24;
    if (hour >= 2 && hour < 5) night += 1;
    if (hour >= 16 && hour < 19) afternoon += 1;
  }
  assert.ok(afternoon > 10 * night, `night ${night}, afternoon ${afternoon}`);
});

test('card testing: small amounts at many merchants within minutes, one card', () => {
  for (const c of campaigns('card_testing')) {
    const tests = c.filter((s) => s.transaction.amount < 5);
    assert.ok(tests.length >= 6);
    assert.equal(new Set(c.map((s) => s.transaction.card_id)).size, 1);
    assert.ok(new Set(tests.map((s) => s.transaction.merchant_id)).size >= 3);
    assert.ok(ms(tests.at(-1)!) - ms(tests[0]!) <= 12 * 60_000);
  }
});

test('account takeover: a device and country the account never used, large amounts', () => {
  for (const c of campaigns('account_takeover')) {
    const account = c[0]!.transaction.account_id;
    const usual = stream.filter((s) => !s.label.fraud && s.transaction.account_id === account);
    const devices = new Set(usual.map((s) => s.transaction.device_id));
    for (const s of c) {
      assert.ok(!devices.has(s.transaction.device_id));
      assert.ok(s.transaction.amount >= 300);
    }
  }
});

test('impossible travel: the same card thousands of km away within two hours', () => {
  for (const c of campaigns('impossible_travel')) {
    const first = c[0]!;
    const card = first.transaction.card_id;
    const before = stream.filter(
      (s) =>
        !s.label.fraud &&
        s.transaction.card_id === card &&
        ms(s) <= ms(first) &&
        ms(s) > ms(first) - 2 * 3_600_000,
    );
    assert.ok(before.length > 0, 'a genuine payment shortly before');
    const home = before.at(-1)!.transaction.location as keyof typeof COUNTRIES;
    const far = first.transaction.location as keyof typeof COUNTRIES;
    assert.ok(home !== far);
  }
  assert.ok(distanceKm('US', 'JP') > 10_000 && distanceKm('FR', 'DE') < 1_000);
});

test('mule fan-in: many accounts to one destination from a few devices', () => {
  for (const c of campaigns('mule_fan_in')) {
    assert.equal(new Set(c.map((s) => s.transaction.merchant_id)).size, 1);
    assert.ok(new Set(c.map((s) => s.transaction.account_id)).size >= 10);
    assert.ok(new Set(c.map((s) => s.transaction.device_id)).size <= 3);
  }
});

test('compromised merchant and amount anomalies', () => {
  for (const c of campaigns('compromised_merchant')) {
    assert.equal(new Set(c.map((s) => s.transaction.merchant_id)).size, 1);
    assert.ok(new Set(c.map((s) => s.transaction.account_id)).size >= 10);
  }
  for (const s of of('amount_anomaly')) {
    const account = s.transaction.account_id;
    const usual = stream
      .filter((o) => !o.label.fraud && o.transaction.account_id === account)
      .map((o) => o.transaction.amount)
      .sort((a, b) => a - b);
    if (usual.length < 3) continue;
    const median = usual[Math.floor(usual.length / 2)]!;
    assert.ok(s.transaction.amount > 5 * median, `${s.transaction.amount} vs median ${median}`);
  }
});
