import { z } from 'zod';
import { checkArtifactShape } from '../artifact-shape.ts';
import type { IsolationForest, PreorderTrees } from './forest.ts';
import { ForestStructureError, buildForest } from './forest.ts';
import { averagePathLength, heightLimit } from './path-length.ts';
import { MAX_FEATURES } from './train.ts';

/** The artifact format this code writes and reads; a change of layout gets a new number. */
export const ARTIFACT_FORMAT = 'risk-iforest/1';
/** How `trees.feature` and `trees.value` are encoded. */
export const TREE_ENCODING = 'preorder-int16le-float64le-base64';

const MAX_TREES = 10_000;
const MAX_SUBSAMPLE_SIZE = 65_536;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const featureSummary = z.strictObject({
  name: z.string(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
});

const schema = z.strictObject({
  format: z.literal(ARTIFACT_FORMAT),
  /** Together `<name>-<version>`: the model_version scoring responses carry. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ -'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ -'),
  created_at: z.iso.datetime(),
  /** The seed of the Random the trees were grown with. */
  seed: int(0, Number.MAX_SAFE_INTEGER),
  /** Feature names in the order of a scored vector. */
  features: z.array(z.string().min(1).max(128)).min(1).max(MAX_FEATURES),
  params: z.strictObject({
    trees: int(1, MAX_TREES),
    subsample_size: int(1, MAX_SUBSAMPLE_SIZE),
    height_limit: int(0, 16),
  }),
  normalisation: z.strictObject({ c_psi: z.number().min(0) }),
  training: z.strictObject({
    rows: int(1, Number.MAX_SAFE_INTEGER),
    source: z.string(),
    features: z.array(featureSummary),
    score_quantiles: z.array(z.strictObject({ q: z.number().min(0).max(1), score: z.number() })),
  }),
  /** A score at or above which a point counts as unusual: the training scores' quantile q. */
  threshold: z.strictObject({ quantile: z.number().gt(0).lt(1), score: z.number().min(0).max(1) }),
  trees: z.strictObject({
    encoding: z.literal(TREE_ENCODING),
    node_counts: z
      .array(int(1, 2 ** 17))
      .min(1)
      .max(MAX_TREES),
    feature: z.base64(),
    value: z.base64(),
  }),
});

export type ModelArtifact = z.infer<typeof schema>;
export type ModelMeta = Omit<ModelArtifact, 'trees'>;

/** A validated artifact with its forest. */
export interface LoadedModel {
  meta: ModelMeta;
  forest: IsolationForest;
}

export type ArtifactParse = { ok: true; model: LoadedModel } | { ok: false; errors: string[] };

export function encodeTrees(trees: PreorderTrees): ModelArtifact['trees'] {
  const n = trees.feature.length;
  const f = new DataView(new ArrayBuffer(2 * n));
  const v = new DataView(new ArrayBuffer(8 * n));
  for (let i = 0; i < n; i++) {
    f.setInt16(2 * i, trees.feature[i]!, true);
    v.setFloat64(8 * i, trees.value[i]!, true);
  }
  return {
    encoding: TREE_ENCODING,
    node_counts: Array.from(trees.nodeCounts),
    feature: Buffer.from(f.buffer).toString('base64'),
    value: Buffer.from(v.buffer).toString('base64'),
  };
}

function decodeTrees(t: ModelArtifact['trees'], errors: string[]): PreorderTrees | undefined {
  const total = t.node_counts.reduce((a, b) => a + b, 0);
  const fb = Buffer.from(t.feature, 'base64');
  const vb = Buffer.from(t.value, 'base64');
  if (fb.length !== 2 * total)
    errors.push(`trees.feature: ${fb.length} bytes, expected 2 × ${total} nodes`);
  if (vb.length !== 8 * total)
    errors.push(`trees.value: ${vb.length} bytes, expected 8 × ${total} nodes`);
  if (errors.length > 0) return undefined;
  const fv = new DataView(fb.buffer, fb.byteOffset, fb.length);
  const vv = new DataView(vb.buffer, vb.byteOffset, vb.length);
  const feature = new Int16Array(total);
  const value = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    feature[i] = fv.getInt16(2 * i, true);
    value[i] = vv.getFloat64(8 * i, true);
  }
  return { nodeCounts: Int32Array.from(t.node_counts), feature, value };
}

/** The artifact of a trained forest; `meta` must describe that forest. */
export function toArtifact(forest: IsolationForest, meta: ModelMeta): ModelArtifact {
  const artifact = { ...meta, trees: encodeTrees(forest.trees) };
  const check = parseModelArtifact(artifact);
  if (!check.ok) throw new Error(`inconsistent model artifact: ${check.errors.join('; ')}`);
  return artifact;
}

/** The parameters a forest implies, for a ModelMeta. */
export function forestParams(forest: IsolationForest): Pick<ModelMeta, 'params' | 'normalisation'> {
  return {
    params: {
      trees: forest.treeCount,
      subsample_size: forest.subsampleSize,
      height_limit: forest.heightLimit,
    },
    normalisation: { c_psi: forest.cPsi },
  };
}

/**
 * Validates a parsed JSON artifact: its shape, then that its parts agree with each other
 * (feature summaries, height limit and c(ψ) implied by ψ, node counts and byte lengths), then the
 * structure of every tree. Each problem is one message naming where it is.
 */
export function parseModelArtifact(json: unknown): ArtifactParse {
  const shape = checkArtifactShape(json, ARTIFACT_FORMAT, schema);
  if (!shape.ok) return shape;
  const { data: a, errors } = shape;
  const summaryNames = a.training.features.map((f) => f.name);
  if (summaryNames.join('\u0000') !== a.features.join('\u0000'))
    errors.push('training.features: must summarise the features, in the same order');
  const psi = a.params.subsample_size;
  if (psi > a.training.rows)
    errors.push(`params.subsample_size: ${psi} exceeds the ${a.training.rows} training rows`);
  if (a.params.height_limit !== heightLimit(psi))
    errors.push(`params.height_limit: must be ceil(log2 ${psi}) = ${heightLimit(psi)}`);
  const c = averagePathLength(psi);
  if (Math.abs(a.normalisation.c_psi - c) > 1e-9 * Math.max(1, c))
    errors.push(`normalisation.c_psi: must be c(${psi}) = ${c}`);
  if (a.trees.node_counts.length !== a.params.trees)
    errors.push(
      `trees.node_counts: ${a.trees.node_counts.length} trees, params.trees says ${a.params.trees}`,
    );
  if (errors.length > 0) return { ok: false, errors };
  const trees = decodeTrees(a.trees, errors);
  if (trees === undefined) return { ok: false, errors };
  let forest: IsolationForest;
  try {
    forest = buildForest({ featureCount: a.features.length, subsampleSize: psi }, trees);
  } catch (err) {
    if (err instanceof ForestStructureError)
      return { ok: false, errors: [`trees: ${err.message}`] };
    throw err;
  }
  const { trees: _encoded, ...meta } = a;
  return { ok: true, model: { meta, forest } };
}
