import { z } from 'zod';
import { checkArtifactShape } from '../artifact-shape.ts';
import type { Trees } from './trees.ts';
import { TreeStructureError, checkTrees } from './trees.ts';

/** The artifact format of a gradient-boosted model; a change of layout gets a new number. */
export const GBDT_FORMAT = 'risk-gbdt/1';

const MAX_FEATURES = 256;
const MAX_NODES = 2_000_000;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const nodeArray = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_NODES);

const schema = z.strictObject({
  format: z.literal(GBDT_FORMAT),
  /** Together `<name>-<version>`: the version rules and logs see. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ -'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ -'),
  created_at: z.iso.datetime(),
  /** Feature names in the order of the input vector (src/domain/anomaly/feature-vector.ts). */
  features: z.array(z.string().min(1).max(128)).min(1).max(MAX_FEATURES),
  /**
   * probability = 1 / (1 + exp(-scale × (base_score + Σ leaves))): LightGBM's binary objective
   * with its `sigmoid` parameter as the scale.
   */
  link: z.strictObject({ name: z.literal('logistic'), scale: z.number().positive() }),
  base_score: z.number(),
  trees: z.strictObject({
    /** Per tree: an internal node index, or ~leaf (negative) for a one-leaf tree. */
    roots: z.array(z.number().int()).min(1).max(100_000),
    split_feature: nodeArray(int(0, MAX_FEATURES - 1)),
    threshold: nodeArray(z.number()),
    missing: nodeArray(z.enum(['none', 'zero', 'nan'])),
    default_left: nodeArray(z.boolean()),
    left: nodeArray(z.number().int()),
    right: nodeArray(z.number().int()),
    leaf_value: z.array(z.number()).min(1).max(MAX_NODES),
  }),
  /** Where the model came from: the library and its parameters, the data, the split. */
  training: z.strictObject({
    library: z.string(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    rows: int(1, Number.MAX_SAFE_INTEGER),
    positives: int(0, Number.MAX_SAFE_INTEGER),
    source: z.string(),
  }),
});

export type GbdtArtifact = z.infer<typeof schema>;
export type GbdtMeta = Omit<GbdtArtifact, 'trees'>;

export interface LoadedGbdt {
  meta: GbdtMeta;
  trees: Trees;
}

export type GbdtParse = { ok: true; model: LoadedGbdt } | { ok: false; errors: string[] };

const MISSING_CODE = { none: 0, zero: 1, nan: 2 } as const;

/**
 * Validates a parsed JSON artifact: its shape, that feature names are unique, then the structure
 * of the trees. Each problem is one message naming where it is.
 */
export function parseGbdtArtifact(json: unknown): GbdtParse {
  const shape = checkArtifactShape(json, GBDT_FORMAT, schema);
  if (!shape.ok) return shape;
  const { data: a, errors } = shape;
  if (a.training.positives > a.training.rows)
    errors.push(`training.positives: ${a.training.positives} exceeds the ${a.training.rows} rows`);
  if (errors.length > 0) return { ok: false, errors };
  const t = a.trees;
  const trees: Trees = {
    featureCount: a.features.length,
    roots: Int32Array.from(t.roots),
    feature: Int32Array.from(t.split_feature),
    threshold: Float64Array.from(t.threshold),
    missing: Uint8Array.from(t.missing, (m) => MISSING_CODE[m]),
    defaultLeft: Uint8Array.from(t.default_left, (b) => (b ? 1 : 0)),
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    leafValue: Float64Array.from(t.leaf_value),
  };
  try {
    checkTrees(trees);
  } catch (err) {
    if (err instanceof TreeStructureError) return { ok: false, errors: [`trees: ${err.message}`] };
    throw err;
  }
  const { trees: _encoded, ...meta } = a;
  return { ok: true, model: { meta, trees } };
}

/** The probability a loaded model gives an input vector. */
export function probability(model: LoadedGbdt, raw: number): number {
  const z = model.meta.link.scale * (model.meta.base_score + raw);
  return 1 / (1 + Math.exp(-z));
}
