import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  seededRandom,
  splitMix64,
  xoshiro128StarStar,
} from '../../../src/domain/anomaly/random.ts';

describe('seeded random numbers', () => {
  test('SplitMix64 gives the reference outputs for seed 1234567', () => {
    // Rosetta Code, "Pseudo-random numbers/Splitmix64", from the reference C code.
    let state = 1234567n;
    const out: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const r = splitMix64(state);
      state = r.state;
      out.push(r.value);
    }
    assert.deepEqual(out, [6457827717110365317n, 3203168211198807973n, 9817491932198370423n]);
  });

  test('xoshiro128** gives the reference outputs', () => {
    // State and outputs from the verification data of edorfaus/xoshiro-6502, generated with the
    // reference C implementation (prng.di.unimi.it/xoshiro128starstar.c).
    const g = xoshiro128StarStar([0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0]);
    assert.deepEqual(
      [g.nextUint32(), g.nextUint32(), g.nextUint32(), g.nextUint32()],
      [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70],
    );
  });

  test('same seed, same numbers; another seed, others; all within [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    let same = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = a.next();
      assert.equal(x, b.next());
      assert.ok(x >= 0 && x < 1);
      if (x === c.next()) same++;
    }
    assert.equal(same, 0);
  });

  test('the mean of many draws is close to one half', () => {
    const r = seededRandom(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += r.next();
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.005);
  });

  for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
    test(`refuses the seed ${bad}`, () => {
      assert.throws(() => seededRandom(bad), RangeError);
    });
  }
});
