import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import type { Matrix } from '../../src/domain/anomaly/matrix.ts';
import { matrix } from '../../src/domain/anomaly/matrix.ts';
import { compileFeatureVector } from '../../src/domain/anomaly/feature-vector.ts';
import { MODEL_FEATURES } from '../../src/domain/anomaly/model-features.ts';
import { eventTimeMs } from '../../src/domain/transaction.ts';
import type { Transaction } from '../../src/domain/transaction.ts';

/** Transactions turned into model inputs, with whatever labels and patterns came with them. */
export interface FeatureRows {
  data: Matrix;
  labels?: Uint8Array;
  patterns?: string[];
}

export interface LabelledInput {
  tx: Transaction;
  label?: 0 | 1;
  pattern?: string;
}

/**
 * Enriches transactions in the order given with the in-memory velocity store (the service's own
 * semantics) and maps each to `features` (default MODEL_FEATURES), exactly as scoring does;
 * a missing value is `missing` (0 for the forest, NaN for the gradient-boosted model). The first `skip`
 * transactions only fill the windows (a warm-up): without it every account would look new.
 */
export async function toFeatureRows(
  input: Iterable<LabelledInput>,
  opts: {
    skip?: number;
    onProgress?: (done: number) => void;
    features?: readonly string[];
    missing?: number;
    /** Called with each enriched transaction (after the skip), e.g. to keep its features. */
    onRow?: (tx: Transaction, features: Record<string, number | null>) => void;
  } = {},
): Promise<FeatureRows> {
  const names = opts.features ?? MODEL_FEATURES;
  const vector = compileFeatureVector(names, { missing: opts.missing ?? 0 });
  let clock = 0;
  // Idle keys expire by the stream's own time, not the wall clock, so a day of traffic replayed
  // in seconds keeps the store's memory bounded the way the service's is.
  const store = createMemoryVelocityStore({ now: () => clock });
  const skip = opts.skip ?? 0;
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const patterns: string[] = [];
  let seen = 0;
  let labelled = true;
  for (const item of input) {
    clock = Math.max(clock, eventTimeMs(item.tx));
    const features = await store.record(item.tx);
    seen++;
    if (seen % 20_000 === 0) opts.onProgress?.(seen);
    if (seen <= skip) continue;
    rows.push(vector.build(item.tx, features));
    opts.onRow?.(item.tx, features);
    if (item.label === undefined) labelled = false;
    else labels.push(item.label);
    if (item.pattern !== undefined) patterns.push(item.pattern);
  }
  await store.close();
  const data = matrix(rows.length, names.length);
  rows.forEach((r, i) => data.values.set(r, i * names.length));
  const out: FeatureRows = { data };
  if (labelled && labels.length === rows.length) out.labels = Uint8Array.from(labels);
  if (patterns.length === rows.length) out.patterns = patterns;
  return out;
}
