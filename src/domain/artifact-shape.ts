import type { z } from 'zod';

/** A model artifact read against its schema: its data, or one message per problem. */
export type ShapeCheck<T> =
  { ok: true; data: T; errors: string[] } | { ok: false; errors: string[] };

/**
 * The checks every model artifact format shares: a `format` other than `format` is named as
 * such (not as a mismatch of every field), then the schema, then unique feature names. On
 * success `errors` holds the feature problems found so far, for the format's own checks to add
 * to. Each problem is "path: message".
 */
export function checkArtifactShape<S extends z.ZodType<{ features: string[] }>>(
  json: unknown,
  format: string,
  schema: S,
): ShapeCheck<z.infer<S>> {
  if (typeof json === 'object' && json !== null && 'format' in json && json.format !== format) {
    return {
      ok: false,
      errors: [`format: ${JSON.stringify(json.format)} is not supported; expected ${format}`],
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'artifact'}: ${i.message}`),
    };
  }
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const f of parsed.data.features) {
    if (seen.has(f)) errors.push(`features: "${f}" appears twice`);
    seen.add(f);
  }
  return { ok: true, data: parsed.data, errors };
}
