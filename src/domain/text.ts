/**
 * What a stored string may hold. Every string the service keeps (velocity keys in Redis,
 * window dimension values and rule audit fields in PostgreSQL, flags on Kafka, logs) is
 * refused when it contains:
 * - C0 controls U+0000–U+001F (PostgreSQL refuses NUL; U+001F delimits fields in the
 *   velocity store), DEL U+007F and C1 controls U+0080–U+009F;
 * - the line and paragraph separators U+2028, U+2029 (they break log lines and JSON in JS);
 * - the bidirectional embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 (they
 *   make a stored id display as another one);
 * - lone UTF-16 surrogates (not encodable as UTF-8; a store would alter or refuse them).
 * Identifiers must also hold something other than white space.
 *
 * One exception: attribute values are free text (a note, an address) and may hold TAB, LF and
 * CR; they are never a key or a window dimension, and are stored only JSON-encoded.
 */

/** The refused characters, as the body of a regular-expression class (needs the `u` flag). */
const UNSAFE_CLASS =
  '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff';

/** JSON Schema `pattern` of a string without refused characters (empty allowed). */
export const SAFE_TEXT_PATTERN = `^[^${UNSAFE_CLASS}]*$`;
/** As SAFE_TEXT_PATTERN, but TAB, LF and CR allowed: free-text attribute values. */
export const SAFE_FREE_TEXT_PATTERN = `^[^${UNSAFE_CLASS.replace('\\u0000-\\u001f', '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f')}]*$`;
/** JSON Schema `pattern` of an identifier: safe text that is not only white space. */
export const SAFE_ID_PATTERN = `^(?!\\s*$)[^${UNSAFE_CLASS}]+$`;

const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, 'u');

/** The first refused character of `text` as `U+XXXX`, or null when there is none. */
export function unsafeCharIn(text: string): string | null {
  const m = UNSAFE.exec(text);
  if (m === null) return null;
  const code = m[0].charCodeAt(0);
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
