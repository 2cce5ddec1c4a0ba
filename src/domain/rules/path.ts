/**
 * The JSONPath subset a condition's `path` may use: `$`, then any number of `.name`, `[index]`
 * and `['name']` steps. json-rules-engine resolves paths with jsonpath-plus
 * (`JSONPath({path, json, wrap: false})`); for these forms that is a walk over own properties,
 * which `resolvePath` reproduces without parsing anything per evaluation. Wildcards, recursive
 * descent, filters, unions, slices and script expressions are refused: they return several
 * matches (so jsonpath-plus wraps them in an array) or evaluate expressions.
 */

const DOT_NAME = /^\.([A-Za-z0-9_]+)/;
const INDEX = /^\[(\d+)\]/;
// Bracket names start with a plain character so that no step can spell a jsonpath-plus token
// (`*`, `..`, `^`, `~`, `$`, `@type()`, `?(`, `(`, backtick, comma or slice).
const QUOTED_NAME = /^\['([A-Za-z0-9_][A-Za-z0-9_ .-]*)'\]/;

/** The property names a supported path walks through, or undefined when it is not supported. */
export function parseSimplePath(path: string): string[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const keys: string[] = [];
  let rest = path.slice(1);
  while (rest !== '') {
    const m = DOT_NAME.exec(rest) ?? INDEX.exec(rest) ?? QUOTED_NAME.exec(rest);
    if (m === null || m[1] === undefined) return undefined;
    keys.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return keys;
}

export const SUPPORTED_PATHS = "$.a.b, $.a[0] or $['a b'] (no wildcards, filters or slices)";

/**
 * Follows `keys` from `root` as jsonpath-plus does for simple steps: a step is taken only from a
 * truthy value that has the key as an own property (strings included, so `$.s.length` works);
 * anything else ends the walk with undefined.
 */
export function resolvePath(root: object, keys: readonly string[]): unknown {
  let value: unknown = root;
  for (const key of keys) {
    if (!value || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
