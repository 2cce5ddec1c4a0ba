import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EULER_GAMMA,
  averagePathLength,
  harmonic,
  heightLimit,
} from '../../../src/domain/anomaly/path-length.ts';

const close = (a: number, b: number, eps = 1e-4) =>
  assert.ok(Math.abs(a - b) < eps, `${a} is not within ${eps} of ${b}`);

describe('c(n), the average path length of n points', () => {
  const table: Array<[number, number]> = [
    [0, 0],
    [1, 0],
    [2, 1],
    // 2(ln 2 + γ) − 4/3
    [3, 2 * (Math.log(2) + EULER_GAMMA) - 4 / 3],
    // 2(ln 255 + γ) − 510/256 ≈ 10.2448
    [256, 10.2448],
  ];
  for (const [n, expected] of table) {
    test(`c(${n}) = ${expected.toFixed(4)}`, () => close(averagePathLength(n), expected));
  }

  test('H(i) is ln(i) + γ', () => {
    close(harmonic(255), Math.log(255) + 0.5772156649, 1e-9);
  });

  test('grows like 2 ln n', () => {
    for (let n = 3; n < 5000; n += 97) assert.ok(averagePathLength(n + 1) > averagePathLength(n));
    close(averagePathLength(1e6) / (2 * Math.log(1e6)), 1, 0.1);
  });
});

describe('height limit ceil(log2 ψ)', () => {
  const table: Array<[number, number]> = [
    [1, 0],
    [2, 1],
    [3, 2],
    [256, 8],
    [257, 9],
  ];
  for (const [psi, h] of table) test(`ψ = ${psi} → ${h}`, () => assert.equal(heightLimit(psi), h));
});
