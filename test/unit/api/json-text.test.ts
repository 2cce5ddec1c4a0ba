import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateNameIn, repeatsAName } from '../../../src/api/json-text.ts';

/*
 * The two readings of a repeated JSON name agree: the cheap count that every request body
 * pays (`repeatsAName`) and the scan that names the place (`duplicateNameIn`), on hand-written
 * texts and on many generated ones (names with quotes, backslashes and colons, nesting, arrays,
 * white space), with and without a repeat put in.
 */

const cases: Array<[string, string | null]> = [
  ['{"a":1,"b":2}', null],
  ['{"a":1,"a":2}', '/a'],
  ['{"a":{"b":1,"b":2}}', '/a/b'],
  ['{"a":[{"d":1},{"d":2,"d":3}]}', '/a/1/d'],
  ['{"a":"x:","b":["y:", "z"]}', null],
  ['{"k" : "v:\\"", "a\\\\":1, "a\\\\" :2}', '/a\\'],
  ['{"a":1,"\\u0061":2}', '/a'],
  ['{"a/b":1,"a/b":1}', '/a~1b'],
  ['[1,"a",{"x":{}},{"x":{}}]', null],
  ['{}', null],
];

for (const [text, where] of cases) {
  test(`${text} → ${where ?? 'no repeat'}`, () => {
    const value: unknown = JSON.parse(text);
    assert.equal(duplicateNameIn(text), where);
    assert.equal(repeatsAName(text, value), where !== null);
  });
}

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_PARTS = ['a', 'b', 'x:', '"', '\\', ' ', 'é', '/', '~'];

function text(r: () => number, depth: number, repeat: { done: boolean }): string {
  const pick = r();
  if (depth > 3 || pick < 0.3)
    return JSON.stringify(r() < 0.5 ? r() : NAME_PARTS.join('').slice(0, 1 + Math.floor(r() * 8)));
  if (pick < 0.5) {
    const n = Math.floor(r() * 4);
    return `[${Array.from({ length: n }, () => text(r, depth + 1, repeat)).join(' , ')}]`;
  }
  const names = new Set<string>();
  const n = 1 + Math.floor(r() * 4);
  while (names.size < n)
    names.add(
      Array.from(
        { length: 1 + Math.floor(r() * 3) },
        () => NAME_PARTS[Math.floor(r() * NAME_PARTS.length)],
      ).join(''),
    );
  const members = [...names].map((k) => `${JSON.stringify(k)} :${text(r, depth + 1, repeat)}`);
  if (!repeat.done && r() < 0.3) {
    repeat.done = true;
    members.push(`${JSON.stringify([...names][0])}:1`);
  }
  return `{ ${members.join(',\n')} }`;
}

test('on 2,000 generated texts the count and the scan agree', () => {
  const r = random(7);
  let repeated = 0;
  for (let i = 0; i < 2000; i++) {
    const repeat = { done: false };
    const t = text(r, 0, repeat);
    const value: unknown = JSON.parse(t);
    const where = duplicateNameIn(t);
    assert.equal(where !== null, repeat.done, t);
    assert.equal(repeatsAName(t, value), repeat.done, t);
    if (repeat.done) repeated++;
  }
  assert.ok(repeated > 100, `${repeated} texts with a repeat`);
});
