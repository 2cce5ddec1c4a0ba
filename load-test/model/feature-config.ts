import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  UnknownFeatureError,
  compileFeatureVector,
} from '../../src/domain/anomaly/feature-vector.ts';

/**
 * A model's features chosen in a JSON file (`risk-features/1`, see models/features/): the names
 * of src/domain/anomaly/feature-vector.ts, in the order of the input vector. Training writes
 * them into the artifact, and the service computes what the artifact names.
 */
const schema = z.strictObject({
  format: z.literal('risk-features/1'),
  description: z.string().optional(),
  features: z.array(z.string().min(1).max(128)).min(1).max(256),
});

export type FeatureConfig = z.infer<typeof schema>;

/** Reads and checks a feature config; an unknown or repeated name is an error naming it. */
export function loadFeatureConfig(path: string): FeatureConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'not valid JSON' : 'cannot be read';
    throw new Error(`feature config ${path}: ${why}`, { cause: err });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new Error(`feature config ${path}: ${problems.join('; ')}`);
  }
  const seen = new Set<string>();
  for (const f of r.data.features) {
    if (seen.has(f)) throw new Error(`feature config ${path}: "${f}" appears twice`);
    seen.add(f);
  }
  try {
    compileFeatureVector(r.data.features, { missing: 0 });
  } catch (err) {
    if (err instanceof UnknownFeatureError)
      throw new Error(`feature config ${path}: ${err.message}`, { cause: err });
    throw err;
  }
  return r.data;
}
