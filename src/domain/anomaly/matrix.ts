/** Rows of numeric features, row-major in one array: row r, column c is `values[r * cols + c]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

export function matrix(rows: number, cols: number, values?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1)
    throw new RangeError(`a matrix needs rows ≥ 0 and cols ≥ 1, got ${rows} × ${cols}`);
  const v = values ?? new Float64Array(rows * cols);
  if (v.length !== rows * cols)
    throw new RangeError(`${rows} × ${cols} matrix given ${v.length} values`);
  return { rows, cols, values: v };
}

/** Row r as a view (no copy). */
export function row(m: Matrix, r: number): Float64Array {
  return m.values.subarray(r * m.cols, (r + 1) * m.cols);
}

/** Builds a matrix from arrays of equal length. */
export function fromRows(rows: ReadonlyArray<ArrayLike<number>>): Matrix {
  const cols = rows[0]?.length ?? 0;
  const m = matrix(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} values, not ${cols}`);
    m.values.set(r, i * cols);
  });
  return m;
}
