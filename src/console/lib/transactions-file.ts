/** Fields of a transaction that are numbers (DESIGN.md §4.1); the rest stay strings. */
const NUMERIC = new Set(['amount', 'latitude', 'longitude']);

/** One CSV line into fields: commas, double quotes around a field, "" for a quote inside. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * Transactions for a backtest from an uploaded file: NDJSON (one transaction object a line)
 * or CSV with a header row naming the fields (`amount`, `latitude`, `longitude` as numbers,
 * `attributes.<key>` columns into `attributes`, empty cells left out). Throws naming the line.
 */
export function parseTransactionsFile(name: string, text: string): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const isCsv =
    /\.csv$/i.test(name) || (lines[0] !== undefined && !lines[0].trim().startsWith('{'));
  if (!isCsv) {
    return lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`line ${i + 1}: not JSON (${err instanceof Error ? err.message : ''})`, {
          cause: err,
        });
      }
    });
  }
  const [header, ...rows] = lines;
  if (header === undefined) return [];
  const names = csvFields(header).map((h) => h.trim());
  return rows.map((row, i) => {
    const cells = csvFields(row);
    if (cells.length !== names.length)
      throw new Error(`line ${i + 2}: ${cells.length} fields, the header has ${names.length}`);
    const tx: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    names.forEach((n, j) => {
      const v = cells[j] ?? '';
      if (v === '') return;
      if (n.startsWith('attributes.')) attributes[n.slice('attributes.'.length)] = v;
      else tx[n] = NUMERIC.has(n) ? Number(v) : v;
    });
    if (Object.keys(attributes).length > 0) tx.attributes = attributes;
    return tx;
  });
}
