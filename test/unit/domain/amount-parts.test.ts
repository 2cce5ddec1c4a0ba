import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { amountOf, meanAmount, toMicroParts } from '../../../src/domain/features.ts';

describe('amounts as whole units and millionths', () => {
  const parts: Array<[number, [number, number]]> = [
    [0, [0, 0]],
    [0.1, [0, 100_000]],
    [42.5, [42, 500_000]],
    [0.000001, [0, 1]],
    [0.9999996, [1, 0]],
    [4_000_000_000.000001, [4_000_000_000, 1]],
    [1e12, [1e12, 0]],
  ];
  for (const [amount, expected] of parts) {
    test(`toMicroParts(${amount})`, () => assert.deepEqual(toMicroParts(amount), expected));
  }

  const sums: Array<[number, number, number]> = [
    [0, 0, 0],
    [15, 300_000, 15.3],
    [0, 2_500_000, 2.5],
    // Beyond 2^53 micro-units: combined exactly, then the nearest double.
    [12_000_000_000, 3, Number('12000000000.000003')],
    [10_000_000_000, 2, Number('10000000000.000002')],
    [9e15, 999_999, Number('9000000000000000.999999')],
  ];
  for (const [units, micros, expected] of sums) {
    test(`amountOf(${units}, ${micros})`, () => assert.equal(amountOf(units, micros), expected));
  }

  const means: Array<[number, number, number, number]> = [
    [10, 0, 4, 2.5],
    [16, 0, 3, 5.333333],
    [0, 1, 2, 0.000001],
    [10_000_000_000, 1, 2, 5_000_000_000.000001],
    [12_000_000_000, 3, 3, 4_000_000_000.000001],
  ];
  for (const [units, micros, count, expected] of means) {
    test(`meanAmount(${units}, ${micros}, ${count}), half up`, () =>
      assert.equal(meanAmount(units, micros, count), expected));
  }
});
