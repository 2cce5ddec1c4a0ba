// What a shadow model costs, against the active model's own step in the same run: simulated
// transactions get their velocity features once (memory store), then, in alternating rounds,
// (A) the active model's step of scoring (pipeline/anomaly.ts, as the scorer calls it) and
// (B) the shadow scorer's work for the same transactions (queue, then one batch scored with the
// shadow model and recorded, as it runs on the next turn of the event loop after the answers).
// The shadow is the shipped forest under another version, so both do the same tree work.
// Reported as microseconds per transaction and the ratio B / A; nothing is asserted.
//
// Usage: node load-test/bench/shadow-cost.ts [TRANSACTIONS] [ROUNDS]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createMemoryModelRegistryStore } from '../../src/adapters/memory/memory-model-registry-store.ts';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { MODEL_ROLES } from '../../src/app/model-roles.ts';
import type { ModelRoles } from '../../src/app/model-roles.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from '../../src/app/paths.ts';
import { LONGEST_WINDOW_MS } from '../../src/domain/features.ts';
import { scoreAnomaly } from '../../src/pipeline/anomaly.ts';
import { createLiveModels } from '../../src/pipeline/live-models.ts';
import { createModelRegistry } from '../../src/pipeline/model-registry.ts';
import type { ScoredSample } from '../../src/pipeline/recent-scored.ts';
import { createShadowScorer } from '../../src/pipeline/shadow-models.ts';
import { simulate } from '../simulator/simulator.ts';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 6);
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const logger = { ...silent, child: () => logger };

const store = createMemoryModelRegistryStore();
const live = await createLiveModels<ModelRoles>({
  store,
  roles: MODEL_ROLES,
  logger,
  pollIntervalMs: 60_000,
});
const registry = createModelRegistry({ store, live, roles: MODEL_ROLES });
const shipped = JSON.parse(
  readFileSync(resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE), 'utf8'),
) as Record<string, unknown>;
const up = async (version: string) =>
  (await registry.upload({ artifact: { ...shipped, version }, actor: 'bench', comment: '' })).model;
const active = await up('bench-active');
const shadow = await up('bench-shadow');
await registry.promote({ id: active.id, actor: 'bench', comment: '' });
await registry.shadow({ id: shadow.id, actor: 'bench', comment: '' });
const source = live.source('anomaly');

const velocity = createMemoryVelocityStore({
  limits: { retentionMs: LONGEST_WINDOW_MS, maxEventsPerKey: 10_000 },
});
const samples: ScoredSample[] = [];
for (const { transaction } of simulate({ seed: 7, customers: 2_000, hours: 48 }).slice(0, N)) {
  const features = await velocity.record(transaction);
  samples.push({ transaction, features, anomaly_score: null });
}
for (const s of samples)
  s.anomaly_score = source.current()?.score(s.transaction, s.features) ?? null;

let recorded = 0;
const shadows = createShadowScorer({
  roles: [{ role: 'anomaly', source, spec: MODEL_ROLES.anomaly }],
  onScore: () => (recorded += 1),
  logger,
  maxQueued: samples.length,
});

let sink = 0;
function activeStep(): number {
  const t0 = performance.now();
  for (const s of samples)
    sink += scoreAnomaly(source, s.transaction, s.features, true, [], logger).score ?? 0;
  return ((performance.now() - t0) * 1000) / samples.length;
}
function shadowStep(): number {
  const t0 = performance.now();
  for (const s of samples) shadows.observe(s);
  shadows.drain();
  return ((performance.now() - t0) * 1000) / samples.length;
}

activeStep();
shadowStep(); // warm-up
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    a.push(activeStep());
    b.push(shadowStep());
  } else {
    b.push(shadowStep());
    a.push(activeStep());
  }
}
shadows.close();
await live.close();
if (Number.isNaN(sink)) throw new Error('a score was NaN');

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
process.stdout.write(
  [
    `transactions: ${samples.length}, rounds: ${ROUNDS}, node ${process.version}`,
    `active model step (A): ${median(a).toFixed(2)} µs per transaction (rounds: ${fmt(a)})`,
    `shadow scoring    (B): ${median(b).toFixed(2)} µs per transaction (rounds: ${fmt(b)})`,
    `ratio B / A: ${(median(b) / median(a)).toFixed(2)}; shadow scores recorded: ${recorded}`,
    '',
  ].join('\n'),
);
