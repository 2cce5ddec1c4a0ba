import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { Transaction } from '../../src/domain/transaction.ts';
import { TRANSACTION_FORMATS, transactionSchema } from '../../src/domain/transaction.ts';
import { readCsvRecords, readLines } from './read-lines.ts';

/** A transaction from a file, with its fraud label when the file has one. */
export interface FileTransaction {
  tx: Transaction;
  label?: 0 | 1;
}

/** Columns or keys read as the label (1 = fraud), never as a transaction field. */
export const LABEL_FIELDS = ['label', 'is_fraud', 'isFraud', 'fraud'];
const NUMERIC = new Set(['amount', 'latitude', 'longitude']);

export function validator(): (v: unknown, where: string) => Transaction {
  const ajv = new Ajv({
    useDefaults: true,
    allErrors: true,
    coerceTypes: false,
    formats: { ...TRANSACTION_FORMATS },
  });
  ajvFormats.default(ajv);
  const validate = ajv.compile<Transaction>(transactionSchema);
  return (v, where) => {
    if (validate(v)) return v;
    const first = validate.errors?.[0];
    throw new Error(
      `${where}: not a valid transaction: ${first?.instancePath || '/'} ${first?.message ?? ''}`,
    );
  };
}

function label(v: unknown, where: string): 0 | 1 {
  if (v === 1 || v === '1' || v === true || v === 'true') return 1;
  if (v === 0 || v === '0' || v === false || v === 'false') return 0;
  throw new Error(`${where}: label must be 0 or 1, got ${JSON.stringify(v)}`);
}

/**
 * Reads transactions from NDJSON (one DESIGN.md §4.1 object a line) or CSV (a header naming the
 * fields; `attributes.<key>` columns become attributes; empty cells are absent fields), gzipped
 * when the name ends in `.gz`. A `label`/`is_fraud` field is taken as the fraud label. Every
 * transaction is validated with the service's own schema; an error names the line.
 */
export async function readTransactions(path: string): Promise<FileTransaction[]> {
  const check = validator();
  const out: FileTransaction[] = [];
  for await (const { obj, where } of /\.csv(\.gz)?$/.test(path)
    ? csvObjects(path)
    : ndjsonObjects(path)) {
    let l: 0 | 1 | undefined;
    for (const k of LABEL_FIELDS) {
      if (k in obj) {
        l = label(obj[k], where);
        delete obj[k];
      }
    }
    const tx = check(obj, where);
    out.push(l === undefined ? { tx } : { tx, label: l });
  }
  return out;
}

type Located = { obj: Record<string, unknown>; where: string };

async function* ndjsonObjects(path: string): AsyncGenerator<Located> {
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
    yield { obj: obj as Record<string, unknown>, where };
  }
}

/** CSV rows as objects: a header names the fields; `attributes.<key>` columns become attributes. */
async function* csvObjects(path: string): AsyncGenerator<Located> {
  let header: string[] | undefined;
  for await (const { cells, line } of readCsvRecords(path)) {
    const where = `${path}:${line}`;
    if (header === undefined) {
      header = cells.map((c) => c.trim());
      continue;
    }
    if (cells.length !== header.length)
      throw new Error(`${where}: ${cells.length} fields, header has ${header.length}`);
    const obj: Record<string, unknown> = {};
    const attributes: Record<string, string | number> = {};
    header.forEach((h, i) => {
      const cell = cells[i]!;
      if (cell === '') return;
      if (h.startsWith('attributes.')) {
        const n = Number(cell);
        attributes[h.slice('attributes.'.length)] = Number.isFinite(n) ? n : cell;
      } else obj[h] = NUMERIC.has(h) ? Number(cell) : cell;
    });
    if (Object.keys(attributes).length > 0) obj.attributes = attributes;
    yield { obj, where };
  }
}
