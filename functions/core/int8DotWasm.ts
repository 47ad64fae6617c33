/**
 * The bytes of a small WebAssembly SIMD module, emitted here rather than compiled from a .wat so the Lambda
 * bundle needs no asset or build step. It imports one shared memory (env.memory) and exports:
 *
 * - `score(q, rows, n, out, qScale)`: for each of n rows of 516 bytes at `rows` (float32 scale, 512 int8
 *   codes), out[i] = qScale × rowScale × Σ q[k]·code[k], with q the query as 512 int16 at `q`.
 * - `touch(ptr, bytes)`: reads every 16-byte word of a region (bytes a multiple of 64) and returns a
 *   value depending on all of them: the memory-bandwidth floor the benchmark compares `score` with.
 *
 * Codes are sign-extended to int16 and multiplied with `i32x4.dot_i16x8_s` (one pmaddwd on x86, smull/
 * sadalp pairs on ARM); 512 products of |int16| ≤ 32,767 and |int8| ≤ 127 sum to < 2^31, so int32 lanes
 * cannot overflow.
 */
export const ROW_BYTES = 516;
export const DIM = 512;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  f32Mul: 0x94,
  f32ConvertI32S: 0xb2,
} as const;

/** SIMD instructions: the 0xfd prefix and a LEB128 sub-opcode. */
const simd = {
  load: 0x00,
  i32x4ExtractLane: 0x1b,
  or: 0x50,
  i16x8ExtendLowI8x16S: 0x87,
  i16x8ExtendHighI8x16S: 0x88,
  i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba,
} as const;

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const v = (sub: number, ...imm: number[]) => [0xfd, ...uleb(sub), ...imm];
/** memarg: alignment hint 0 (loads may be unaligned: rows are 516 bytes apart), constant offset. */
const mem = (offset: number) => [0, ...uleb(offset)];
const get = (i: number) => [op.localGet, ...uleb(i)];
const set = (i: number) => [op.localSet, ...uleb(i)];
const tee = (i: number) => [op.localTee, ...uleb(i)];
const i32 = (c: number) => [op.i32Const, ...sleb(c)];
const vec = (bytes: number[]) => [...uleb(bytes.length), ...bytes];
const name = (s: string) => vec([...Buffer.from(s, 'utf8')]);
const section = (id: number, body: number[]) => [id, ...vec(body)];

/**
 * score(q, rows, n, out, qScale). Locals: two accumulators (low and high halves of each 16-byte word: two
 * dependency chains in flight) and the code word. Measured on the benchmark machine: scoring 2 or 4 rows
 * per step (sharing query loads) and v128.load8x8_s in place of load + extend were both slower.
 */
function scoreBody(): number[] {
  const [q, row, n, out, qScale] = [0, 1, 2, 3, 4];
  const [acc0, acc1, code] = [5, 6, 7];
  const zero = v(0x0c, ...new Array<number>(16).fill(0));
  const body: number[] = [];
  body.push(...get(n), op.i32Eqz, op.brIf, 0); // nothing to do
  body.push(op.loop, 0x40, ...zero, ...set(acc0), ...zero, ...set(acc1));
  for (let k = 0; k < DIM / 16; k++) {
    body.push(...get(row), ...v(simd.load, ...mem(4 + 16 * k)), ...tee(code));
    body.push(...v(simd.i16x8ExtendLowI8x16S), ...get(q), ...v(simd.load, ...mem(32 * k)));
    body.push(...v(simd.i32x4DotI16x8S), ...get(acc0), ...v(simd.i32x4Add), ...set(acc0));
    body.push(
      ...get(code),
      ...v(simd.i16x8ExtendHighI8x16S),
      ...get(q),
      ...v(simd.load, ...mem(32 * k + 16)),
    );
    body.push(...v(simd.i32x4DotI16x8S), ...get(acc1), ...v(simd.i32x4Add), ...set(acc1));
  }
  body.push(...get(acc0), ...get(acc1), ...v(simd.i32x4Add), ...set(acc0));
  // out[i] = float(Σ lanes) × rowScale × qScale
  body.push(...get(out));
  body.push(...get(acc0), ...v(simd.i32x4ExtractLane, 0), ...get(acc0), ...v(simd.i32x4ExtractLane, 1));
  body.push(op.i32Add, ...get(acc0), ...v(simd.i32x4ExtractLane, 2), op.i32Add);
  body.push(...get(acc0), ...v(simd.i32x4ExtractLane, 3), op.i32Add, op.f32ConvertI32S);
  body.push(...get(row), op.f32Load, ...mem(0), op.f32Mul, ...get(qScale), op.f32Mul);
  body.push(op.f32Store, ...mem(0));
  body.push(...get(row), ...i32(ROW_BYTES), op.i32Add, ...set(row));
  body.push(...get(out), ...i32(4), op.i32Add, ...set(out));
  body.push(...get(n), ...i32(1), op.i32Sub, ...tee(n), op.brIf, 0, op.end);
  return [1, 3, V128, ...body, op.end];
}

/** touch(ptr, bytes) → i32; local: acc (v128). */
function touchBody(): number[] {
  const [ptr, bytes, acc] = [0, 1, 2];
  const body: number[] = [];
  body.push(op.block, 0x40, ...get(bytes), op.i32Eqz, op.brIf, 0, op.loop, 0x40);
  for (let k = 0; k < 4; k++) {
    body.push(...get(acc), ...get(ptr), ...v(simd.load, ...mem(16 * k)), ...v(simd.or), ...set(acc));
  }
  body.push(...get(ptr), ...i32(64), op.i32Add, ...set(ptr));
  body.push(...get(bytes), ...i32(64), op.i32Sub, ...tee(bytes), op.brIf, 0, op.end, op.end);
  body.push(...get(acc), ...v(simd.i32x4ExtractLane, 0));
  return [1, 1, V128, ...body, op.end];
}

/** The module, importing env.memory as a shared memory of up to `maxPages` 64 KiB pages. */
export function int8DotModuleBytes(maxPages: number): Uint8Array<ArrayBuffer> {
  const typeSection = section(1, [
    2,
    0x60,
    ...vec([I32, I32, I32, I32, F32]),
    ...vec([]),
    0x60,
    ...vec([I32, I32]),
    ...vec([I32]),
  ]);
  // limits flag 3: has a maximum, shared.
  const importSection = section(2, [
    1,
    ...name('env'),
    ...name('memory'),
    0x02,
    0x03,
    ...uleb(1),
    ...uleb(maxPages),
  ]);
  const functionSection = section(3, [2, 0, 1]);
  const exportSection = section(7, [2, ...name('score'), 0x00, 0, ...name('touch'), 0x00, 1]);
  const codeSection = section(10, [2, ...vec(scoreBody()), ...vec(touchBody())]);
  const magicAndVersion = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return Uint8Array.from([
    ...magicAndVersion,
    ...typeSection,
    ...importSection,
    ...functionSection,
    ...exportSection,
    ...codeSection,
  ]);
}
