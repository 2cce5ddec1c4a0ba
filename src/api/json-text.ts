/**
 * Checks on JSON text that `JSON.parse` does not make. JSON (RFC 8259 §4) only says names
 * "SHOULD be unique"; `JSON.parse` keeps the last of a repeated name and drops the others
 * without a word, so `{"amount": 1, "amount": 99999}` would be scored as whichever copy a
 * proxy, a log reader and this service each happened to keep. The service refuses it instead.
 */

interface Frame {
  /** Names seen so far in this object; undefined for an array. */
  names: Set<string> | undefined;
  /** The pointer token of the current member (object) or element index (array). */
  token: string;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The JSON pointer of the first member whose name repeats an earlier one of the same object
 * (e.g. `/attributes/tier`), or null. `text` must be valid JSON (parse it first): the scan
 * trusts the grammar and only tracks strings, brackets and separators. Names are compared
 * after unescaping, so `"a"` and `"\u0061"` are the same name. Linear in the text.
 */
export function duplicateNameIn(text: string): string | null {
  const stack: Frame[] = [];
  let expectName = false;
  const pointer = (): string => stack.map((f) => `/${f.token}`).join('');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Find the closing quote: a quote preceded by an even run of backslashes.
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) {
          escaped = true;
          j++;
        } else if (d === QUOTE) break;
      }
      if (expectName) {
        const raw = text.slice(i + 1, j);
        const name = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        const frame = stack[stack.length - 1];
        if (frame?.names !== undefined) {
          frame.token = escapePointer(name);
          if (frame.names.has(name)) return pointer();
          frame.names.add(name);
        }
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ names: new Set(), token: '', index: 0 });
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ names: undefined, token: '0', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      const frame = stack[stack.length - 1];
      if (frame?.names !== undefined) expectName = true;
      else if (frame !== undefined) frame.token = String(++frame.index);
    }
  }
  return null;
}
