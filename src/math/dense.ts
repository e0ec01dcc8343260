/**
 * Small dense matrices in Float64, row-major, for the LQR / trajectory-optimisation code
 * (state and action dimensions of a few to a few tens). Operations allocate their result:
 * clarity over speed at these sizes; nothing here is on a control tick's hot path.
 * Dimension mismatches throw a RangeError naming both shapes.
 */
export class Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major: entry (i, j) is data[i * cols + j]. */
  readonly data: Float64Array;

  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0))
      throw new RangeError(`matrix shape must be non-negative integers, got ${rows}x${cols}`);
    if (data !== undefined && data.length !== rows * cols)
      throw new RangeError(`matrix ${rows}x${cols} needs ${rows * cols} entries, got ${data.length}`);
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
  }

  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  static identity(n: number, scale = 1): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = scale;
    return m;
  }

  static diagonal(values: ArrayLike<number>): Matrix {
    const n = values.length;
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = values[i];
    return m;
  }

  static fromRows(rows: readonly (readonly number[])[]): Matrix {
    const cols = rows.length > 0 ? rows[0].length : 0;
    const m = new Matrix(rows.length, cols);
    rows.forEach((row, i) => {
      if (row.length !== cols) throw new RangeError(`row ${i} has ${row.length} entries, row 0 has ${cols}`);
      m.data.set(row, i * cols);
    });
    return m;
  }

  /** The column vector v as a (n x 1) matrix. */
  static column(v: ArrayLike<number>): Matrix {
    return new Matrix(v.length, 1, Float64Array.from(v));
  }

  /** u v^T */
  static outer(u: ArrayLike<number>, v: ArrayLike<number>): Matrix {
    const m = new Matrix(u.length, v.length);
    for (let i = 0; i < u.length; i++)
      for (let j = 0; j < v.length; j++) m.data[i * v.length + j] = u[i] * v[j];
    return m;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  get shape(): string {
    return `${this.rows}x${this.cols}`;
  }

  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  transpose(): Matrix {
    const t = new Matrix(this.cols, this.rows);
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < this.cols; j++) t.data[j * this.rows + i] = this.data[i * this.cols + j];
    return t;
  }

  /** this * b */
  mul(b: Matrix): Matrix {
    if (this.cols !== b.rows) throw new RangeError(`cannot multiply ${this.shape} by ${b.shape}`);
    const out = new Matrix(this.rows, b.cols);
    const n = b.cols;
    for (let i = 0; i < this.rows; i++) {
      for (let k = 0; k < this.cols; k++) {
        const a = this.data[i * this.cols + k];
        if (a === 0) continue;
        const bRow = k * n;
        const oRow = i * n;
        for (let j = 0; j < n; j++) out.data[oRow + j] += a * b.data[bRow + j];
      }
    }
    return out;
  }

  /** this^T * b, without forming the transpose. */
  tmul(b: Matrix): Matrix {
    if (this.rows !== b.rows) throw new RangeError(`cannot multiply (${this.shape})^T by ${b.shape}`);
    const out = new Matrix(this.cols, b.cols);
    const n = b.cols;
    for (let k = 0; k < this.rows; k++) {
      for (let i = 0; i < this.cols; i++) {
        const a = this.data[k * this.cols + i];
        if (a === 0) continue;
        for (let j = 0; j < n; j++) out.data[i * n + j] += a * b.data[k * n + j];
      }
    }
    return out;
  }

  /** this * b^T */
  mult(b: Matrix): Matrix {
    if (this.cols !== b.cols) throw new RangeError(`cannot multiply ${this.shape} by (${b.shape})^T`);
    const out = new Matrix(this.rows, b.rows);
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < b.rows; j++) {
        let s = 0;
        for (let k = 0; k < this.cols; k++) s += this.data[i * this.cols + k] * b.data[j * b.cols + k];
        out.data[i * b.rows + j] = s;
      }
    return out;
  }

  /** this * v */
  mulVec(v: ArrayLike<number>): Float64Array {
    if (this.cols !== v.length) throw new RangeError(`cannot multiply ${this.shape} by a ${v.length}-vector`);
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      let s = 0;
      for (let j = 0; j < this.cols; j++) s += this.data[i * this.cols + j] * v[j];
      out[i] = s;
    }
    return out;
  }

  /** this^T * v */
  tmulVec(v: ArrayLike<number>): Float64Array {
    if (this.rows !== v.length)
      throw new RangeError(`cannot multiply (${this.shape})^T by a ${v.length}-vector`);
    const out = new Float64Array(this.cols);
    for (let i = 0; i < this.rows; i++) {
      const vi = v[i];
      for (let j = 0; j < this.cols; j++) out[j] += this.data[i * this.cols + j] * vi;
    }
    return out;
  }

  /** v^T this v (square matrices). */
  quadForm(v: ArrayLike<number>): number {
    return dot(v, this.mulVec(v));
  }

  /** this + scale * b */
  add(b: Matrix, scale = 1): Matrix {
    return this.clone().addInPlace(b, scale);
  }

  sub(b: Matrix): Matrix {
    return this.clone().addInPlace(b, -1);
  }

  /** this += scale * b; returns this. */
  addInPlace(b: Matrix, scale = 1): Matrix {
    if (this.rows !== b.rows || this.cols !== b.cols)
      throw new RangeError(`cannot add ${b.shape} to ${this.shape}`);
    for (let i = 0; i < this.data.length; i++) this.data[i] += scale * b.data[i];
    return this;
  }

  scale(s: number): Matrix {
    const out = this.clone();
    for (let i = 0; i < out.data.length; i++) out.data[i] *= s;
    return out;
  }

  /** Adds `value` to every diagonal entry in place; returns this. */
  addDiagonalInPlace(value: number): Matrix {
    const n = Math.min(this.rows, this.cols);
    for (let i = 0; i < n; i++) this.data[i * this.cols + i] += value;
    return this;
  }

  /** The rows x cols block starting at (r0, c0), copied. */
  block(r0: number, c0: number, rows: number, cols: number): Matrix {
    if (r0 < 0 || c0 < 0 || r0 + rows > this.rows || c0 + cols > this.cols)
      throw new RangeError(`block ${rows}x${cols} at (${r0}, ${c0}) is outside ${this.shape}`);
    const out = new Matrix(rows, cols);
    for (let i = 0; i < rows; i++)
      out.data.set(this.data.subarray((r0 + i) * this.cols + c0, (r0 + i) * this.cols + c0 + cols), i * cols);
    return out;
  }

  /** Writes `b` into this at (r0, c0); returns this. */
  setBlock(r0: number, c0: number, b: Matrix): Matrix {
    if (r0 < 0 || c0 < 0 || r0 + b.rows > this.rows || c0 + b.cols > this.cols)
      throw new RangeError(`block ${b.shape} at (${r0}, ${c0}) does not fit in ${this.shape}`);
    for (let i = 0; i < b.rows; i++)
      this.data.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), (r0 + i) * this.cols + c0);
    return this;
  }

  /** (this + this^T) / 2 for a square matrix: removes round-off asymmetry before a Cholesky. */
  symmetrize(): Matrix {
    if (this.rows !== this.cols) throw new RangeError(`cannot symmetrize a ${this.shape} matrix`);
    const n = this.rows;
    const out = new Matrix(n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) out.data[i * n + j] = 0.5 * (this.data[i * n + j] + this.data[j * n + i]);
    return out;
  }

  trace(): number {
    let s = 0;
    for (let i = 0; i < Math.min(this.rows, this.cols); i++) s += this.data[i * this.cols + i];
    return s;
  }

  /** sum_ij this_ij b_ij = tr(this^T b). */
  frobeniusDot(b: Matrix): number {
    if (this.rows !== b.rows || this.cols !== b.cols)
      throw new RangeError(`cannot contract ${this.shape} with ${b.shape}`);
    let s = 0;
    for (let i = 0; i < this.data.length; i++) s += this.data[i] * b.data[i];
    return s;
  }

  /** Largest absolute entry. */
  maxAbs(): number {
    let m = 0;
    for (let i = 0; i < this.data.length; i++) m = Math.max(m, Math.abs(this.data[i]));
    return m;
  }

  isFinite(): boolean {
    for (let i = 0; i < this.data.length; i++) if (!Number.isFinite(this.data[i])) return false;
    return true;
  }

  toRows(): number[][] {
    return Array.from({ length: this.rows }, (_, i) =>
      Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)),
    );
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot of a ${a.length}-vector and a ${b.length}-vector`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** a + scale * b as a new vector. */
export function addVec(a: ArrayLike<number>, b: ArrayLike<number>, scale = 1): Float64Array {
  if (a.length !== b.length) throw new RangeError(`cannot add a ${b.length}-vector to a ${a.length}-vector`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + scale * b[i];
  return out;
}

/** [a; b] */
export function concatVec(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
