import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CpuProfile } from '../../../load-test/bench/cpu-profile.ts';
import { areaOf, byArea, shortUrl, windowSamples } from '../../../load-test/bench/cpu-profile.ts';

const ROOT = '/repo';
const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

/**
 * (root) → handler (src) → { parse (fastify), (idle) }; samples every 100 µs from t = 1000:
 * handler, parse, parse, (idle), parse, handler.
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('handler', 'file:///repo/src/api/http/server.ts', 9), children: [3] },
    { id: 3, callFrame: frame('parse', 'file:///x/node_modules/fastify/lib/parse.js', 0) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1000,
  endTime: 1700,
  samples: [2, 3, 3, 4, 3, 2, 5],
  timeDeltas: [0, 100, 100, 100, 100, 100, 100],
};

test('shortUrl and areaOf name where a frame lives', { timeout: 10_000 }, () => {
  const cases: Array<[string, string, string, string]> = [
    ['file:///repo/src/pipeline/score.ts', '', 'src/pipeline/score.ts', 'src/pipeline'],
    [
      'file:///a/node_modules/@grpc/grpc-js/build/x.js',
      '',
      '@grpc/grpc-js/build/x.js',
      '@grpc/grpc-js',
    ],
    ['node:internal/streams/readable', '', 'node:internal/streams/readable', 'node internals'],
    ['', '(garbage collector)', '', '(garbage collector)'],
    ['', 'writev', '', 'native (V8 builtins)'],
  ];
  for (const [url, fn, short, area] of cases) {
    assert.equal(shortUrl(url, ROOT), short, url);
    assert.equal(areaOf(short, fn), area, url);
  }
});

test(
  'windowSamples folds only the window, idle apart, with self and total time',
  { timeout: 10_000 },
  () => {
    // Sample times 1000..1600; the window [1100, 1500] holds parse, parse, (idle), parse, handler.
    const w = windowSamples(profile, 1100, 1500, ROOT);
    assert.equal(w.idleUs, 100);
    assert.equal(w.busyUs, 400);
    const handler = 'handler\u00a0src/api/http/server.ts:10';
    const parse = 'parse\u00a0fastify/lib/parse.js:1';
    assert.deepEqual(w.folded, [`${handler};${parse} 300`, `${handler} 100`]);
    assert.deepEqual(
      w.selfTimes.map((s) => [s.frame, s.area, s.selfUs]),
      [
        ['parse fastify/lib/parse.js:1', 'fastify', 300],
        ['handler src/api/http/server.ts:10', 'src/api', 100],
      ],
    );
    assert.deepEqual(
      w.totalTimes.map((s) => [s.frame, s.selfUs]),
      [
        ['handler src/api/http/server.ts:10', 400],
        ['parse fastify/lib/parse.js:1', 300],
      ],
    );
    assert.deepEqual(byArea(w.selfTimes), [
      { area: 'fastify', selfUs: 300 },
      { area: 'src/api', selfUs: 100 },
    ]);
    // The whole profile: the garbage collector's last sample counts nothing (no next sample).
    assert.equal(windowSamples(profile, 0, 1e9, ROOT).busyUs, 500);
  },
);
