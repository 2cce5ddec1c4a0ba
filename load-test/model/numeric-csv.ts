import type { Matrix } from '../../src/domain/anomaly/matrix.ts';
import { matrix } from '../../src/domain/anomaly/matrix.ts';
import { readCsvRecords } from './read-lines.ts';

/** A labelled numeric data set: the features (label column excluded) and the labels. */
export interface LabelledData {
  names: string[];
  data: Matrix;
  labels: Uint8Array;
}

/**
 * Reads a numeric CSV with a header (`f0,…,fN,label` in ../shared/data/anomaly/) into a matrix,
 * leaving the label column out of the features. Labels must be 0 or 1; every feature a finite
 * number. An error names the line.
 */
export async function readLabelledCsv(path: string, labelColumn = 'label'): Promise<LabelledData> {
  let names: string[] | undefined;
  let labelAt = -1;
  let values = new Float64Array(1 << 16);
  let labels = new Uint8Array(1 << 12);
  let rows = 0;
  for await (const { cells, line } of readCsvRecords(path)) {
    if (names === undefined) {
      labelAt = cells.indexOf(labelColumn);
      if (labelAt < 0) throw new Error(`${path}: no "${labelColumn}" column in the header`);
      names = cells.filter((_, i) => i !== labelAt);
      continue;
    }
    if (cells.length !== names.length + 1)
      throw new Error(`${path}:${line}: ${cells.length} fields, header has ${names.length + 1}`);
    const cols = names.length;
    if ((rows + 1) * cols > values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    if (rows === labels.length) {
      const grown = new Uint8Array(labels.length * 2);
      grown.set(labels);
      labels = grown;
    }
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = Number(cells[i]);
      if (i === labelAt) {
        if (v !== 0 && v !== 1) throw new Error(`${path}:${line}: label must be 0 or 1`);
        labels[rows] = v;
      } else {
        if (cells[i]!.trim() === '' || !Number.isFinite(v))
          throw new Error(`${path}:${line}: ${names[c]} is not a number: ${cells[i]}`);
        values[rows * cols + c++] = v;
      }
    }
    rows++;
  }
  if (names === undefined) throw new Error(`${path}: empty file`);
  return {
    names,
    data: matrix(rows, names.length, values.slice(0, rows * names.length)),
    labels: labels.slice(0, rows),
  };
}
