import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { FileTransaction } from './transactions-file.ts';
import { validator } from './transactions-file.ts';
import { readCsvRecords, readLines } from './read-lines.ts';

/**
 * How the columns of someone else's file become transactions (DESIGN.md §4.1): a JSON file
 * (`risk-columns/1`; the PaySim and ULB ones are in load-test/model/mappings/) naming, for each
 * transaction field, the column it comes from, which columns become `attributes.<key>`, and
 * which column is the fraud label. Works on CSV (a header row) and NDJSON (top-level keys are
 * the columns), gzipped or not.
 *
 * Time: `unit: "rfc3339"` reads the column as a timestamp; `seconds` / `hours` count from
 * `origin`. With `spread: true`, rows with the same value (PaySim writes only the hour) are
 * spread evenly over one unit, in file order, so that the velocity windows see them apart.
 */
const STRING_FIELDS = [
  'transaction_id',
  'account_id',
  'card_id',
  'device_id',
  'ip',
  'merchant_id',
  'merchant_category',
  'channel',
  'location',
  'currency',
] as const;
const NUMBER_FIELDS = ['amount', 'latitude', 'longitude'] as const;

const column = z.string().min(1).max(256);
const mappingSchema = z.strictObject({
  format: z.literal('risk-columns/1'),
  description: z.string().optional(),
  /** transaction_id when no column gives it: prefix + the row's index in the file. */
  id_prefix: z.string().max(64).default('row-'),
  timestamp: z.strictObject({
    column,
    unit: z.enum(['rfc3339', 'seconds', 'hours']),
    origin: z.iso.datetime().optional(),
    spread: z.boolean().default(false),
  }),
  /** Transaction field → column. `amount` is required; `account_id` here or in `constants`. */
  fields: z
    .strictObject(
      Object.fromEntries([...STRING_FIELDS, ...NUMBER_FIELDS].map((f) => [f, column.optional()])),
    )
    .refine((f) => f.amount !== undefined, { message: 'amount: a column is required' }),
  /** Transaction field → the same value on every row (ULB has no account: one for all). */
  constants: z.partialRecord(z.enum(STRING_FIELDS), z.string().min(1)).default({}),
  /** Attribute key → column; a cell that reads as a finite number is a number, else text. */
  attributes: z.record(z.string().min(1).max(64), column).default({}),
  /** The label column: 1/true = fraud, 0/false = not. */
  label: column.optional(),
});

export type ColumnMapping = z.infer<typeof mappingSchema>;

/** Reads and checks a mapping file; every problem in one message naming the file. */
export function loadColumnMapping(path: string): ColumnMapping {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'not valid JSON' : 'cannot be read';
    throw new Error(`column mapping ${path}: ${why}`, { cause: err });
  }
  const r = mappingSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || 'mapping'}: ${i.message}`);
    throw new Error(`column mapping ${path}: ${problems.join('; ')}`);
  }
  const m = r.data;
  if (m.timestamp.unit !== 'rfc3339' && !m.timestamp.origin)
    throw new Error(
      `column mapping ${path}: timestamp.origin is required for unit ${m.timestamp.unit}`,
    );
  if (m.fields.account_id === undefined && m.constants.account_id === undefined)
    throw new Error(`column mapping ${path}: account_id needs a column (fields) or a constant`);
  return m;
}

type Row = { cells: Record<string, string>; where: string };

async function* csvRows(path: string): AsyncGenerator<Row> {
  let header: string[] | undefined;
  for await (const { cells, line } of readCsvRecords(path)) {
    if (header === undefined) {
      header = cells.map((c) => c.trim());
      continue;
    }
    const where = `${path}:${line}`;
    if (cells.length !== header.length)
      throw new Error(`${where}: ${cells.length} fields, the header has ${header.length}`);
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = cells[i]!));
    yield { cells: row, where };
  }
}

async function* ndjsonRows(path: string): AsyncGenerator<Row> {
  let line = 0;
  for await (const text of readLines(path)) {
    line++;
    if (text.trim() === '') continue;
    const where = `${path}:${line}`;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      throw new Error(`${where}: not valid JSON`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new Error(`${where}: each line must be a JSON object`);
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) if (v !== null) row[k] = String(v);
    yield { cells: row, where };
  }
}

function labelOf(v: string, where: string, col: string): 0 | 1 {
  const t = v.trim().toLowerCase();
  if (t === '1' || t === 'true' || t === '1.0') return 1;
  if (t === '0' || t === 'false' || t === '0.0') return 0;
  throw new Error(`${where}: label column ${col} must be 0 or 1, got ${JSON.stringify(v)}`);
}

/**
 * The transactions of a CSV or NDJSON file read through `mapping`, sorted by event time (stable),
 * each validated with the service's schema. An error is one line naming the file, line and
 * column: a missing column, a cell that is no number, a transaction the service would refuse.
 */
export async function readMappedTransactions(
  path: string,
  mapping: ColumnMapping,
): Promise<FileTransaction[]> {
  const check = validator();
  const rows = /\.csv(\.gz)?$/.test(path) ? csvRows(path) : ndjsonRows(path);
  const ts = mapping.timestamp;
  const origin = ts.origin === undefined ? 0 : Date.parse(ts.origin);
  const unitMs = ts.unit === 'hours' ? 3_600_000 : 1000;
  const read: Array<{ obj: Record<string, unknown>; where: string; t: number; label?: 0 | 1 }> = [];
  const need = [
    ts.column,
    ...Object.values(mapping.fields).filter((c): c is string => c !== undefined),
    ...Object.values(mapping.attributes),
    ...(mapping.label === undefined ? [] : [mapping.label]),
  ];
  let index = 0;
  for await (const { cells, where } of rows) {
    if (index === 0 || !/\.csv/.test(path)) {
      const missing = [...new Set(need)].filter((c) => !(c in cells));
      if (missing.length > 0)
        throw new Error(
          `${where}: no column ${missing.map((c) => JSON.stringify(c)).join(', ')} ` +
            `(the mapping names it; the file has ${Object.keys(cells).join(', ')})`,
        );
    }
    const num = (col: string): number => {
      const v = cells[col]!.trim();
      const n = v === '' ? Number.NaN : Number(v); // Number reads exponent form too (1.5E5)
      if (!Number.isFinite(n)) throw new Error(`${where}: column ${col} is not a number: "${v}"`);
      return n;
    };
    let t: number;
    if (ts.unit === 'rfc3339') {
      t = Date.parse(cells[ts.column]!);
      if (Number.isNaN(t))
        throw new Error(`${where}: column ${ts.column} is not a timestamp: "${cells[ts.column]}"`);
    } else t = origin + num(ts.column) * unitMs;
    const obj: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(mapping.constants)) obj[field] = value;
    for (const [field, col] of Object.entries(mapping.fields)) {
      if (col === undefined) continue;
      if ((NUMBER_FIELDS as readonly string[]).includes(field)) {
        if (cells[col]!.trim() !== '') obj[field] = num(col);
      } else if (cells[col] !== '') obj[field] = cells[col];
    }
    if (obj.transaction_id === undefined) obj.transaction_id = `${mapping.id_prefix}${index}`;
    const attributes: Record<string, string | number> = {};
    for (const [key, col] of Object.entries(mapping.attributes)) {
      const v = cells[col]!;
      if (v.trim() === '') continue;
      const n = Number(v);
      attributes[key] = Number.isFinite(n) ? n : v;
    }
    if (Object.keys(attributes).length > 0) obj.attributes = attributes;
    const entry: (typeof read)[number] = { obj, where, t };
    if (mapping.label !== undefined)
      entry.label = labelOf(cells[mapping.label]!, where, mapping.label);
    read.push(entry);
    index++;
  }
  if (read.length === 0) throw new Error(`${path}: no rows`);
  if (ts.spread) {
    const count = new Map<number, number>();
    for (const r of read) count.set(r.t, (count.get(r.t) ?? 0) + 1);
    const seen = new Map<number, number>();
    for (const r of read) {
      const k = seen.get(r.t) ?? 0;
      seen.set(r.t, k + 1);
      r.t += Math.floor((k * unitMs) / count.get(r.t)!);
    }
  }
  read.sort((a, b) => a.t - b.t);
  return read.map(({ obj, where, t, label }) => {
    if (!Number.isFinite(t) || Math.abs(t) > 8.64e15)
      throw new Error(`${where}: the time is out of range`);
    obj.timestamp = new Date(t).toISOString();
    const tx = check(obj, where);
    return label === undefined ? { tx } : { tx, label };
  });
}
