import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';

/** A file's bytes, gunzipped on the way when its name ends in `.gz`. */
function openText(path: string): Readable {
  const input: Readable = createReadStream(path);
  if (!path.endsWith('.gz')) return input;
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  return input.pipe(gunzip);
}

/** The lines of a text file, gunzipped on the way when its name ends in `.gz`. */
export function readLines(path: string): AsyncIterable<string> {
  return createInterface({ input: openText(path), crlfDelay: Infinity });
}

/**
 * The records of a CSV file (RFC 4180, by csv-parse: quoted fields may hold commas, doubled
 * quotes and line breaks), gunzipped on the way when the name ends in `.gz`, each with the line
 * it ends on. Empty lines are skipped; field counts are left to the caller to check.
 */
export async function* readCsvRecords(
  path: string,
): AsyncGenerator<{ cells: string[]; line: number }> {
  const parser = openText(path).pipe(
    parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: true }),
  );
  for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { cells: r.record, line: r.info.lines };
  }
}
