/**
 * The peer: @vladmandic/human 3.3.6 on TensorFlow.js's WebAssembly backend (no native download), with the
 * models that ship inside its npm package (BlazeFace detector, FaceMesh, FaceRes descriptor). Photos are
 * decoded with sharp, as ours are, and handed over as RGB tensors.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceEngineError } from '../../functions/core/face';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface PeerTimings {
  decodeMs: number;
  /** human.detect: detector, mesh and descriptor together (it reports no finer split). */
  describeMs: number;
  totalMs: number;
}

export interface PeerFace {
  /** FaceRes descriptor, L2-normalized so that dot products are cosines. */
  embedding: Float32Array;
  timings: PeerTimings;
}

/** A package's folder (human's "exports" map hides package.json and its node-wasm build). */
function pkgDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/**
 * Node's fetch has no file:// scheme and the peer loads its models with fetch (tfjs-node would add one, but
 * it downloads a native binary at install): answer file:// URLs from disk, pass everything else on.
 */
function allowFileUrls(): void {
  const fetchBefore = globalThis.fetch;
  if ((fetchBefore as Any).filesFromDisk) return;
  const withFiles = async (input: Any, init?: Any) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith('file://')) return new Response(await readFile(fileURLToPath(url)));
    return fetchBefore(input, init);
  };
  withFiles.filesFromDisk = true;
  globalThis.fetch = withFiles as typeof fetch;
}

export class HumanPeer {
  private constructor(private readonly human: Any) {}

  static async create(): Promise<HumanPeer> {
    allowFileUrls();
    // The backend must see its .wasm files as file paths in Node.
    const wasmDir = join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/';
    // By path: the package's "exports" map does not expose its node-wasm build.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Human } = require(join(pkgDir('@vladmandic/human'), 'dist/human.node-wasm.js')) as Any;
    const human = new Human({
      backend: 'wasm',
      // From node_modules, never the CDN it defaults to.
      wasmPath: wasmDir,
      wasmPlatformFetch: false,
      modelBasePath: 'file://' + join(pkgDir('@vladmandic/human'), 'models') + '/',
      debug: false,
      async: false,
      warmup: 'none',
      cacheSensitivity: 0,
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 1, return: false },
        mesh: { enabled: true },
        iris: { enabled: false },
        description: { enabled: true },
        emotion: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
        attention: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
      filter: { enabled: false },
    });
    await human.init();
    await human.load();
    return new HumanPeer(human);
  }

  /** Backend, versions, and whether TensorFlow.js's WASM build runs with SIMD and threads here. */
  async backend(): Promise<string> {
    const tf = this.human.tf;
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return `${tf.getBackend()} backend (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}; tfjs ${tf.version_core}, human ${this.human.version})`;
  }

  /** The largest face's descriptor; FaceEngineError 'noFace' when the peer finds none. */
  async embed(bytes: Buffer): Promise<PeerFace> {
    const t0 = performance.now();
    const { data, info } = await sharp(bytes)
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const t1 = performance.now();
    const tensor = this.human.tf.tensor4d(new Uint8Array(data), [1, info.height, info.width, 3], 'int32');
    let result: Any;
    try {
      result = await this.human.detect(tensor);
    } finally {
      this.human.tf.dispose(tensor);
    }
    const t2 = performance.now();
    const faces = (result.face ?? []).filter((f: Any) => f.embedding?.length);
    if (!faces.length) throw new FaceEngineError('noFace', 'the peer found no face');
    const area = (f: Any) => f.box[2] * f.box[3];
    const face = faces.reduce((a: Any, b: Any) => (area(b) > area(a) ? b : a));
    const v = Float32Array.from(face.embedding as number[]);
    let n = 0;
    for (const x of v) n += x * x;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    return { embedding: v, timings: { decodeMs: t1 - t0, describeMs: t2 - t1, totalMs: t2 - t0 } };
  }
}
