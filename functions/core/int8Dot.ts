import { DIM, ROW_BYTES, int8DotModuleBytes } from './int8DotWasm';

const PAGE = 65536;
/** 2 GiB of address space: reserved, not committed; the memory grows only as the cache fills. */
const MAX_PAGES = 32768;
/** Rows scored per call when codes must first be copied into kernel memory, or results copied out. */
const CHUNK_ROWS = 4096;
// Local bindings: a global lookup (`Math.x`) in a hot loop is slow inside jest's VM context (the
// test suites run this code there, 10–50× slower); plain Node is unaffected.
const { abs, max: larger, round } = Math;

interface Exports {
  score(q: number, rows: number, n: number, out: number, qScale: number): void;
  touch(ptr: number, bytes: number): number;
}

type Block = { offset: number; bytes: number };

/**
 * Scores stored embeddings (rows of 516 bytes: float32 scale + 512 int8 codes) against a query with a
 * WebAssembly SIMD kernel. Rows that live in the kernel's own memory (see `alloc`) are scored where they
 * lie; any other rows are first copied in, chunk by chunk, which roughly doubles the cost.
 *
 * The memory is shared (SharedArrayBuffer-backed) so that growing it never detaches a view handed out
 * earlier: a cached matrix stays valid for as long as it is not freed.
 *
 * @example
 * const k = Int8DotKernel.instance();
 * const rows = k.alloc(n * 516) ?? new Uint8Array(n * 516); // fill with encodeEmbedding() outputs
 * k.score(query, rows, n, out); // out[i] = cosine(query, row i)
 */
export class Int8DotKernel {
  private static shared: Int8DotKernel | undefined;
  private readonly memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  private readonly exports: Exports;
  /** Every buffer the memory has exposed: a view on one of them is already in kernel memory. */
  private readonly ownBuffers = new WeakSet<ArrayBufferLike>();
  /** Free regions, by offset; the first page holds the query. */
  private free: Block[] = [];
  private top = PAGE;
  private readonly sizes = new Map<number, number>();
  private scratchOut = -1;
  private scratchRows = -1;

  /** The process's kernel: compiled once, its memory shared by every cache and search in the process. */
  static instance(): Int8DotKernel {
    Int8DotKernel.shared ??= new Int8DotKernel();
    return Int8DotKernel.shared;
  }

  /** A kernel with a memory of its own: for tests. */
  static create(): Int8DotKernel {
    return new Int8DotKernel();
  }

  private constructor() {
    const module = new WebAssembly.Module(int8DotModuleBytes(MAX_PAGES));
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Exports;
    this.ownBuffers.add(this.memory.buffer);
  }

  /** Bytes of kernel memory in use by allocations (not counting free regions). */
  get allocatedBytes(): number {
    let s = 0;
    for (const b of this.sizes.values()) s += b;
    return s;
  }

  /**
   * A view of `bytes` bytes in kernel memory, or undefined when the 2 GiB address space is full; zeroed
   * unless `zero` is false (a caller about to overwrite it all saves a pass over the bytes).
   * Free it with `release` when done; until then it stays valid even as the memory grows.
   */
  alloc(bytes: number, zero = true): Uint8Array | undefined {
    const size = Math.ceil(Math.max(1, bytes) / 16) * 16;
    let offset = -1;
    const i = this.free.findIndex((b) => b.bytes >= size);
    if (i >= 0) {
      const b = this.free[i];
      offset = b.offset;
      if (b.bytes === size) this.free.splice(i, 1);
      else this.free[i] = { offset: b.offset + size, bytes: b.bytes - size };
    } else {
      const needPages = Math.ceil((this.top + size) / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (needPages > 0) {
        if (this.memory.buffer.byteLength / PAGE + needPages > MAX_PAGES) return undefined;
        this.memory.grow(needPages);
        this.ownBuffers.add(this.memory.buffer);
      }
      offset = this.top;
      this.top += size;
    }
    this.sizes.set(offset, size);
    const view = new Uint8Array(this.memory.buffer, offset, bytes);
    if (zero) view.fill(0);
    return view;
  }

  /** Returns a view from `alloc` to the free list (merging neighbours). The view must not be used after. */
  release(view: Uint8Array): void {
    const size = this.sizes.get(view.byteOffset);
    if (size === undefined || !this.ownBuffers.has(view.buffer))
      throw new Error('not an allocation of this kernel');
    this.sizes.delete(view.byteOffset);
    this.free.push({ offset: view.byteOffset, bytes: size });
    this.free.sort((a, b) => a.offset - b.offset);
    const merged: Block[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.offset + last.bytes === b.offset) last.bytes += b.bytes;
      else merged.push({ ...b });
    }
    // A free region at the top goes back to the bump pointer.
    const last = merged[merged.length - 1];
    if (last && last.offset + last.bytes === this.top) {
      this.top = last.offset;
      merged.pop();
    }
    this.free = merged;
  }

  /** True when `view` lies in kernel memory, so scoring it needs no copy. */
  owns(view: Uint8Array): boolean {
    return this.ownBuffers.has(view.buffer);
  }

  /**
   * out[i] = cosine between `query` (512 floats, L2-normalized) and stored row i, for i < n.
   * The query is quantized to int16 (error below 1e-5 in cosine); the stored rows carry their own
   * int8 error (≤ 0.002, see embeddingCodec).
   */
  score(query: Float32Array, codes: Uint8Array, n: number, out: Float32Array): void {
    if (query.length !== DIM) throw new Error(`query must have ${DIM} values`);
    if (codes.length < n * ROW_BYTES || out.length < n) throw new Error('codes or out shorter than n rows');
    const qScale = this.loadQuery(query);
    const inPlace = this.owns(codes);
    this.ensureScratch();
    const outView = () => new Float32Array(this.memory.buffer, this.scratchOut, CHUNK_ROWS);
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const m = Math.min(CHUNK_ROWS, n - start);
      let rows = codes.byteOffset + start * ROW_BYTES;
      if (!inPlace) {
        new Uint8Array(this.memory.buffer, this.scratchRows, m * ROW_BYTES).set(
          codes.subarray(start * ROW_BYTES, (start + m) * ROW_BYTES),
        );
        rows = this.scratchRows;
      }
      this.exports.score(0, rows, m, this.scratchOut, qScale);
      out.set(outView().subarray(0, m), start);
    }
  }

  /**
   * Reads every byte of `view` (its length rounded down to 64) with 16-byte loads and does nothing else:
   * the fastest any kernel could pass over those bytes. The view must be in kernel memory.
   */
  touch(view: Uint8Array): number {
    if (!this.owns(view)) throw new Error('touch needs a view in kernel memory');
    return this.exports.touch(view.byteOffset, view.byteLength - (view.byteLength % 64));
  }

  private loadQuery(query: Float32Array): number {
    let max = 0;
    for (let i = 0; i < DIM; i++) max = larger(max, abs(query[i]));
    const scale = max > 0 ? max / 32767 : 1;
    const q = new Int16Array(this.memory.buffer, 0, DIM);
    for (let i = 0; i < DIM; i++) q[i] = round(query[i] / scale);
    return scale;
  }

  private ensureScratch(): void {
    if (this.scratchOut >= 0) return;
    const out = this.alloc(CHUNK_ROWS * 4);
    const rows = this.alloc(CHUNK_ROWS * ROW_BYTES);
    if (!out || !rows) throw new Error('kernel memory exhausted');
    this.scratchOut = out.byteOffset;
    this.scratchRows = rows.byteOffset;
  }
}
