/**
 * `node load-test/bench/gbdt-bench.ts [ARTIFACT]`: the gradient-boosted fraud model on the
 * scoring path, beside the shipped isolation forest in the same run (the ratio is the figure;
 * microseconds move with the machine's load). Default artifact: the parity fixture's LightGBM
 * model (40 trees of 15 leaves, 4 features); pass one from `npm run train -- --model gbdt`.
 * Not part of `npm run bench` yet (that report belongs to its own section owners).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { modelFromJson } from '../../src/adapters/file/file-model-source.ts';
import { fraudModelFromJson } from '../../src/adapters/file/file-fraud-model-source.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from '../../src/app/paths.ts';
import { compileFeatureVector } from '../../src/domain/anomaly/feature-vector.ts';
import { parseGbdtArtifact } from '../../src/domain/gbdt/artifact.ts';
import { rawScore } from '../../src/domain/gbdt/trees.ts';
import type { VelocityFeatures } from '../../src/domain/features.ts';
import type { Transaction } from '../../src/domain/transaction.ts';

function median(call: (i: number) => number, n: number, rounds: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink += call(i);
  const samples = new Float64Array(n * rounds);
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      sink += call(i);
      samples[k++] = Number(process.hrtime.bigint() - t0) / 1000;
    }
  }
  if (Number.isNaN(sink)) throw new Error('a score was NaN');
  samples.sort();
  return samples[Math.floor(samples.length / 2)]!;
}

const path =
  process.argv[2] ?? resolve(import.meta.dirname, '../../test/fixtures/gbdt/parity.json');
let text = readFileSync(path, 'utf8');
const json = JSON.parse(text) as { models?: Array<{ artifact: unknown }> };
if (json.models !== undefined) text = JSON.stringify(json.models[0]!.artifact);
const gbdt = fraudModelFromJson(text, path);
const parsed = parseGbdtArtifact(JSON.parse(text));
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const forestPath = resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);
const forest = modelFromJson(readFileSync(forestPath, 'utf8'), forestPath);

const N = 5_000;
const calls: Array<{ tx: Transaction; features: VelocityFeatures }> = [];
for (let i = 0; i < N; i++) {
  const attributes: Record<string, number | string> = {
    score: Math.sin(i) * 3,
    kind: i % 3 === 0 ? 'a' : 'b',
  };
  for (let v = 1; v <= 28; v++) attributes[`V${v}`] = Math.cos(i * v) * 4;
  calls.push({
    tx: {
      transaction_id: `b-${i}`,
      timestamp: new Date(Date.UTC(2026, 1, 2) + i * 17_000).toISOString(),
      amount: 1 + ((i * 37) % 900),
      currency: 'USD',
      account_id: `a-${i % 300}`,
      attributes,
    },
    features: { 'account.count_1h': 1 + (i % 9), 'account.count_24h': 1 + (i % 40) },
  });
}
const vector = compileFeatureVector(gbdt.meta.features, { missing: Number.NaN });
const vectors = calls.map((c) => vector.build(c.tx, c.features));
const tGbdt = median((i) => gbdt.score(calls[i]!.tx, calls[i]!.features), N, 10);
const tTrees = median((i) => rawScore(parsed.model.trees, vectors[i]!), N, 10);
const tForest = median((i) => forest.score(calls[i]!.tx, calls[i]!.features), N, 10);
const t = parsed.model.trees;
process.stdout.write(
  `GBDT ${gbdt.version}: ${t.roots.length} trees, ${t.feature.length} splits, ` +
    `${gbdt.meta.features.length} features; ${N} calls × 10 passes, median per call\n` +
    `  fraud model score(tx, features):  ${tGbdt.toFixed(2)} µs\n` +
    `  trees alone (rawScore on vector):  ${tTrees.toFixed(2)} µs\n` +
    `  shipped isolation forest score:    ${tForest.toFixed(2)} µs (${forest.version})\n` +
    `  GBDT score / forest score:         ${(tGbdt / tForest).toFixed(2)}\n`,
);
