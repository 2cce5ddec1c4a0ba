/** A source of uniform numbers in [0, 1); training takes one so that a seed fixes the model. */
export interface Random {
  next(): number;
}

const MASK64 = (1n << 64n) - 1n;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
 * used only to spread a small seed over xoshiro's 128-bit state, as its authors recommend.
 * Returns the next 64-bit output and the advanced state.
 */
export function splitMix64(state: bigint): { value: bigint; state: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { value: z ^ (z >> 31n), state: next };
}

/** The raw 32-bit generator, exported for its reference test vector. */
export interface Xoshiro128 {
  nextUint32(): number;
}

/**
 * xoshiro128** 1.1 (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018,
 * reference code at prng.di.unimi.it): a 128-bit state, 32-bit outputs, period 2^128 − 1.
 *
 * Written here rather than taken from a package so that a model's seed means the same trees for
 * as long as the artifact format lives: a library's distribution helpers may change between
 * major versions, and the scoring service itself needs no random numbers at all.
 */
export function xoshiro128StarStar(s: readonly [number, number, number, number]): Xoshiro128 {
  let s0 = s[0] >>> 0;
  let s1 = s[1] >>> 0;
  let s2 = s[2] >>> 0;
  let s3 = s[3] >>> 0;
  if ((s0 | s1 | s2 | s3) === 0) throw new Error('xoshiro128** state must not be all zero');
  return {
    nextUint32(): number {
      const m = Math.imul(s1, 5);
      const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      return result;
    },
  };
}

/**
 * A seeded Random: SplitMix64(seed) fills xoshiro128**'s state; each number takes 53 bits from
 * two outputs, so every double in [0, 1) of the form k / 2^53 is equally likely.
 */
export function seededRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  let state = BigInt(seed);
  const words: number[] = [];
  for (let i = 0; i < 2; i++) {
    const out = splitMix64(state);
    state = out.state;
    words.push(Number(out.value & 0xffffffffn), Number(out.value >> 32n));
  }
  const g = xoshiro128StarStar(words as [number, number, number, number]);
  return {
    next(): number {
      const hi = g.nextUint32() >>> 5; // 27 bits
      const lo = g.nextUint32() >>> 6; // 26 bits
      return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
    },
  };
}
