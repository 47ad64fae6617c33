import { performance } from 'node:perf_hooks';
import { ContractError } from '../core/errors';
import { REFERENCE_112, fivePointsFrom68, similarityTransform, warpAffine } from './align';
import { EXPRESSIONS, SSR_OUTPUTS, ageBand, binnedAngle, genderLabel, softmax, ssrMerge } from './attributes';
import {
  DETECT_HEIGHT,
  DETECT_WIDTH,
  DEFAULT_DETECT,
  boxArea,
  detectorTensor,
  facesFromOutputs,
  iou,
  letterboxCanvas,
} from './detect';
import {
  type ImageWindow,
  type OpenedPhoto,
  type RgbImage,
  decodeWhole,
  decodeWindow,
  detectorInput,
  encodeJpeg,
  openPhoto,
  resizeRegion,
} from './image';
import { DEFAULT_FACENESS, type FacenessLimits, isFace } from './faceness';
import { failedCheck, insideShare, laplacianVariance, meanLuma } from './quality';
import type { ModelSessions } from './sessions';
import type {
  Box,
  DetectedFace,
  EventFace,
  FaceAttributes,
  FaceEngine,
  FiqaLevel,
  Point,
  QualityReport,
  QueryFace,
  StageTimings,
} from './types';

export interface EngineOptions {
  maxPixels: number;
  /** Long side of the working image; larger photos are shrunk on load. */
  maxSide: number;
  /** Channel orders fed to the models, each chosen by measured accuracy (README, "Pre-processing"). */
  featureChannels: ChannelOrder;
  detectChannels: ChannelOrder;
  /** fr_pose, fr_age, fr_gender. */
  attributeChannels: ChannelOrder;
  /** Pad the photo to the detector's 4:3 before resizing (true) or stretch it (false, as the vendor's demo). */
  letterbox: boolean;
  /** Average the embeddings of the aligned face and its mirror image. */
  flipAugment: boolean;
  /** Median raw (pre-normalization) embedding norm of dev faces (3.74); see occlusionFromNorm. */
  referenceNorm: number;
  /**
   * How strongly a detection must embed to be taken for a face (faceness.ts): the detector alone fires on
   * some animal faces (skimage's cat: detector 0.74, norm 1.84; the weakest of 494 dev faces: 2.19).
   */
  faceness: FacenessLimits;
  expression: boolean;
  /**
   * Speed: large photos are reduced for the detector while they are decoded, and only the chosen face's
   * neighbourhood is decoded at working resolution (false: the whole working image is decoded once, about
   * 10 ms more on 1920×1280; docs/speed.md).
   */
  partialDecode: boolean;
}

export const DEFAULT_ENGINE: EngineOptions = {
  maxPixels: 40_000_000,
  maxSide: 1920,
  featureChannels: 'bgr',
  detectChannels: 'bgr',
  attributeChannels: 'bgr',
  letterbox: true,
  flipAugment: false,
  referenceNorm: 3.74,
  faceness: DEFAULT_FACENESS,
  expression: true,
  partialDecode: true,
};

/** Face box size (px) that the 112×112 template corresponds to, roughly. */
const WARP_FACE_SIZE = 100;
/** Larger faces are shrunk from their align square before the warp (see `align`). */
const SHRINK_ABOVE = 1.5 * WARP_FACE_SIZE;

/** The crops taken around a face box: squares by box height, grows by the box's sides. */
const CROP = {
  landmarkSquare: 1,
  attributeSquare: 1.4,
  alignSquare: 2,
  /** fr_pose: the box grown by a quarter on each side. */
  poseGrow: 0.25,
  /** fr_expression: the box grown by a tenth on each side. */
  expressionGrow: 0.1,
  /** The stored face crop: the box grown by this share of its larger side on each side. */
  storedGrow: 0.3,
};

export type ChannelOrder = 'rgb' | 'bgr';

type Region = { left: number; top: number; width: number; height: number };

/** The detect → landmarks → align → embed pipeline over ONNX Runtime sessions. */
export class OnnxFaceEngine implements FaceEngine {
  constructor(
    private readonly models: ModelSessions,
    private readonly opts: EngineOptions = DEFAULT_ENGINE,
  ) {}

  async detectAll(image: Buffer): Promise<{ faces: DetectedFace[]; width: number; height: number }> {
    const photo = await this.open(image);
    const faces = await this.detect(photo);
    const window = faces.length
      ? await decodeWindow(
          photo,
          neighbourhood(
            faces.map((f) => f.box),
            photo,
          ),
        )
      : undefined;
    const verified: DetectedFace[] = [];
    for (const f of faces) {
      const aligned = await this.align(window!, f.box);
      if (isFace(f.score, (await this.embed(aligned.face)).norm, this.opts.faceness)) {
        verified.push({ box: toOriginal(f.box, photo.scale), score: f.score });
      }
    }
    return { faces: verified, width: photo.width, height: photo.height };
  }

  private async align(
    img: ImageWindow,
    box: Box,
  ): Promise<{ face: RgbImage; points68: Float32Array; five: Point[]; warpMs: number }> {
    const points68 = await this.landmarks(img, box);
    const t = performance.now();
    const five = fivePointsFrom68(points68);
    // Bilinear sampling aliases when a large face shrinks to 112 px: shrink its surroundings first with an
    // area filter so the warp itself scales by less than 1.5.
    const size = Math.max(box[2] - box[0], box[3] - box[1]);
    let src: RgbImage = img;
    let local = five.map(([x, y]) => [x - img.left, y - img.top] as Point);
    if (size > SHRINK_ABOVE) {
      const region = squareRegion(box, img.fullWidth, img.fullHeight, CROP.alignSquare);
      const f = (1.2 * WARP_FACE_SIZE) / size;
      const w = Math.max(1, Math.round(region.width * f));
      const h = Math.max(1, Math.round(region.height * f));
      const shrunk = await resizeRegion(img, region, w, h);
      const { left, top, width, height } = shrunk.source;
      src = shrunk;
      // Pixel centres map to pixel centres: (x + ½) scales, then − ½.
      local = five.map(
        ([x, y]) => [((x - left + 0.5) * w) / width - 0.5, ((y - top + 0.5) * h) / height - 0.5] as Point,
      );
    }
    const face = warpAffine(src, similarityTransform(local, REFERENCE_112), 112, 112);
    return { face, points68, five, warpMs: performance.now() - t };
  }

  async analyzeQuery(image: Buffer, fiqaLevel: FiqaLevel): Promise<QueryFace> {
    const { face } = await this.analyze(image, { gate: fiqaLevel });
    return face;
  }

  async analyzeEvent(image: Buffer, opts: { box?: Box } = {}): Promise<EventFace> {
    const { face, photo, window, workBox, points68 } = await this.analyze(image, { box: opts.box });
    const t = performance.now();
    const attributes = await this.attributes(window, workBox, points68, photo.scale, face.box);
    const expand = CROP.storedGrow * Math.max(workBox[2] - workBox[0], workBox[3] - workBox[1]);
    const crop = await encodeJpeg(window, {
      left: workBox[0] - expand,
      top: workBox[1] - expand,
      width: workBox[2] - workBox[0] + 2 * expand,
      height: workBox[3] - workBox[1] + 2 * expand,
    });
    face.timings.attributesMs = performance.now() - t;
    return { ...face, attributes, crop };
  }

  private async open(image: Buffer): Promise<OpenedPhoto> {
    const photo = await openPhoto(image, { maxPixels: this.opts.maxPixels, maxSide: this.opts.maxSide });
    if (!this.opts.partialDecode) await decodeWhole(photo);
    return photo;
  }

  /** Faces in working-image pixels; `timings` gets the decode and the model's time apart. */
  private async detect(
    photo: OpenedPhoto,
    timings?: { decodeMs: number; detectMs: number },
  ): Promise<DetectedFace[]> {
    const t = performance.now();
    const img = { width: photo.workWidth, height: photo.workHeight };
    const { canvasWidth, canvasHeight } = this.opts.letterbox
      ? letterboxCanvas(img.width, img.height)
      : { canvasWidth: img.width, canvasHeight: img.height };
    const small = await detectorInput(
      photo,
      canvasWidth,
      canvasHeight,
      DETECT_WIDTH,
      DETECT_HEIGHT,
      this.opts.partialDecode,
    );
    const decoded = performance.now();
    const out = await this.models.run(
      'fr_detect',
      detectorTensor(small.data, this.opts.detectChannels === 'bgr'),
      [1, 3, DETECT_HEIGHT, DETECT_WIDTH],
    );
    const faces = facesFromOutputs(
      out.scores,
      out.boxes,
      canvasWidth,
      canvasHeight,
      DEFAULT_DETECT,
      img.width,
      img.height,
    );
    if (timings) {
      timings.decodeMs += decoded - t;
      timings.detectMs += performance.now() - decoded;
    }
    return faces;
  }

  private async analyze(image: Buffer, req: { gate?: FiqaLevel; box?: Box }) {
    const timings: StageTimings = {
      decodeMs: 0,
      detectMs: 0,
      landmarkMs: 0,
      alignMs: 0,
      embedMs: 0,
      poseMs: 0,
    };
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const d = now - t;
      t = now;
      return d;
    };
    const photo = await this.open(image);
    timings.decodeMs = lap();
    const faces = await this.detect(photo, timings);
    lap();
    // Largest first (the documented choice of query face); a detection that does not embed like a face
    // is skipped in favour of the next.
    // A caller's box only selects among detected faces: one that no detection overlaps finds no face.
    const candidates = req.box
      ? [pickByBox(faces, toWorking(req.box, photo.scale))].filter((f) => f !== undefined)
      : [...faces].sort((a, b) => boxArea(b.box) - boxArea(a.box));
    let chosen:
      | { face: DetectedFace; window: ImageWindow; aligned: RgbImage; points68: Float32Array; five: Point[] }
      | undefined;
    let embedded: { embedding: Float32Array; norm: number } | undefined;
    for (const f of candidates) {
      // Only the face's neighbourhood is decoded (at working resolution): the crops below all lie in it.
      const window = await decodeWindow(photo, neighbourhood([f.box], photo));
      timings.decodeMs += lap();
      const a = await this.align(window, f.box);
      timings.landmarkMs += lap() - a.warpMs;
      timings.alignMs += a.warpMs;
      const e = await this.embed(a.face);
      timings.embedMs += lap();
      if (isFace(f.score, e.norm, this.opts.faceness)) {
        chosen = { face: f, window, aligned: a.face, points68: a.points68, five: a.five };
        embedded = e;
        break;
      }
    }
    if (!chosen || !embedded) throw new ContractError('NO_FACE_ERROR', 'no face found in the image');
    const workBox = chosen.face.box;
    const { window, aligned, points68, five } = chosen;
    const faceSize = Math.min(workBox[2] - workBox[0], workBox[3] - workBox[1]) / photo.scale;
    if (req.gate && req.gate !== 'no') {
      const sizeOnly = failedCheck({ ...PASSING, faceSize }, req.gate);
      if (sizeOnly) throw new ContractError('LOW_QUALITY_ERROR', sizeOnly);
    }
    // Every gate but 'no' checks the angle (CONTRACT.md); fr_pose is ~9 ms of a query, so 'no' skips it.
    const [yaw, pitch, roll] = req.gate === 'no' ? [NaN, NaN, NaN] : await this.pose(window, workBox);
    timings.poseMs = lap();
    const quality: QualityReport = {
      faceSize,
      yaw,
      pitch,
      roll,
      poseSum: Math.abs(yaw) + Math.abs(pitch) + Math.abs(roll),
      brightness: meanLuma(centre(aligned)),
      sharpness: laplacianVariance(aligned.data, 112, 112),
      completeness: insideShare(pointsBox(points68), photo.workWidth, photo.workHeight, 0.05),
      occlusion: occlusionFromNorm(embedded.norm, this.opts.referenceNorm, this.opts.faceness.minNorm),
    };
    if (req.gate) {
      const failed = failedCheck(quality, req.gate);
      if (failed) throw new ContractError('LOW_QUALITY_ERROR', failed);
    }
    const embedding = embedded.embedding;
    const face: QueryFace = {
      box: toOriginal(workBox, photo.scale),
      detScore: chosen.face.score,
      landmarks5: five.map((p) => [p[0] / photo.scale, p[1] / photo.scale] as Point),
      embedding,
      quality,
      imageWidth: photo.width,
      imageHeight: photo.height,
      timings,
    };
    return { face, photo, window, workBox, points68 };
  }

  /** 68 points in working-image pixels. The landmark model sees the square around the box's centre. */
  private async landmarks(img: ImageWindow, box: Box): Promise<Float32Array> {
    const r = squareRegion(box, img.fullWidth, img.fullHeight, CROP.landmarkSquare);
    const crop = await resizeRegion(img, r, 64, 64);
    const input = new Float32Array(64 * 64);
    for (let i = 0; i < 64 * 64; i++) {
      input[i] =
        (0.299 * crop.data[i * 3] + 0.587 * crop.data[i * 3 + 1] + 0.114 * crop.data[i * 3 + 2]) / 256;
    }
    const out = (await this.models.run('fr_landmark', input, [1, 1, 64, 64])).output;
    const pts = new Float32Array(136);
    for (let i = 0; i < 68; i++) {
      pts[i * 2] = r.left + out[i * 2] * r.width;
      pts[i * 2 + 1] = r.top + out[i * 2 + 1] * r.height;
    }
    return pts;
  }

  private async embed(aligned: RgbImage): Promise<{ embedding: Float32Array; norm: number }> {
    const v = await this.embedOnce(aligned.data, false);
    if (this.opts.flipAugment) {
      const f = await this.embedOnce(aligned.data, true);
      for (let i = 0; i < v.length; i++) v[i] += f[i];
    }
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i] * v[i];
    const norm = Math.sqrt(n) / (this.opts.flipAugment ? 2 : 1);
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    return { embedding: v, norm };
  }

  private async embedOnce(rgb: Uint8Array, mirror: boolean): Promise<Float32Array> {
    const plane = 112 * 112;
    const input = new Float32Array(3 * plane);
    const bgr = this.opts.featureChannels === 'bgr';
    for (let y = 0; y < 112; y++) {
      for (let x = 0; x < 112; x++) {
        const src = (y * 112 + (mirror ? 111 - x : x)) * 3;
        const dst = y * 112 + x;
        for (let c = 0; c < 3; c++) input[c * plane + dst] = (rgb[src + (bgr ? 2 - c : c)] - 127) / 128;
      }
    }
    const out = (await this.models.run('fr_feature', input, [1, 3, 112, 112])).output;
    return Float32Array.from(out);
  }

  /** [yaw, pitch, roll] in degrees, from the box grown by a quarter on each side. */
  private async pose(img: ImageWindow, box: Box): Promise<[number, number, number]> {
    const w = box[2] - box[0],
      h = box[3] - box[1];
    const crop = await resizeRegion(img, grown(box, CROP.poseGrow * w, CROP.poseGrow * h), 224, 224);
    const out = await this.models.run(
      'fr_pose',
      imagenetTensor(crop, this.opts.attributeChannels === 'bgr'),
      [1, 3, 224, 224],
    );
    return [binnedAngle(out.output), binnedAngle(out['617']), binnedAngle(out['618'])];
  }

  private async attributes(
    img: ImageWindow,
    box: Box,
    points68: Float32Array,
    scale: number,
    originalBox: Box,
  ): Promise<FaceAttributes> {
    const r = squareRegion(box, img.fullWidth, img.fullHeight, CROP.attributeSquare);
    const face64 = imagenetTensor(await resizeRegion(img, r, 64, 64), this.opts.attributeChannels === 'bgr');
    const [age, gender] = await Promise.all([
      this.models.run('fr_age', face64, [1, 3, 64, 64]),
      this.models.run('fr_gender', face64, [1, 3, 64, 64]),
    ]);
    const years = ssrMerge(concatOutputs(age), 101);
    const male = ssrMerge(concatOutputs(gender), 1);
    let expression: string | null = null;
    if (this.opts.expression) {
      const w = box[2] - box[0],
        h = box[3] - box[1];
      const g = CROP.expressionGrow;
      const crop = await resizeRegion(img, grown(box, g * w, g * h), 224, 224);
      const input = new Float32Array(3 * 224 * 224);
      const plane = 224 * 224;
      for (let i = 0; i < plane; i++)
        for (let c = 0; c < 3; c++) input[c * plane + i] = crop.data[i * 3 + c] / 255;
      const p = softmax((await this.models.run('fr_expression', input, [1, 3, 224, 224])).output);
      expression = EXPRESSIONS[p.indexOf(Math.max(...p))];
    }
    const point: number[] = [];
    for (const [x, y] of fivePointsFrom68(points68)) point.push(round1(x / scale), round1(y / scale));
    return {
      point,
      box: originalBox.map(round1) as Box,
      mask: null,
      gender: Number.isFinite(male) ? genderLabel(male) : null,
      hat: null,
      age: Number.isFinite(years) ? ageBand(years) : null,
      glasses: null,
      expression,
    };
  }
}

const PASSING: QualityReport = {
  faceSize: Infinity,
  yaw: 0,
  pitch: 0,
  roll: 0,
  poseSum: 0,
  brightness: 128,
  sharpness: Infinity,
  completeness: 1,
  occlusion: 0,
};

/**
 * Occlusion proxy: a face embedder's raw feature norm falls when the face is hidden, blurred or not a face
 * (the models give no occlusion head). 0 at or above the median dev face, 1 at the face/non-face limit.
 */
export function occlusionFromNorm(norm: number, referenceNorm: number, minFaceNorm: number): number {
  return Math.max(0, Math.min(1, (referenceNorm - norm) / (referenceNorm - minFaceNorm)));
}

function concatOutputs(out: Record<string, Float32Array>): number[] {
  return SSR_OUTPUTS.flatMap((k) => Array.from(out[k]));
}

function imagenetTensor(img: RgbImage, bgr: boolean): Float32Array {
  const plane = img.width * img.height;
  const mean = [0.485, 0.456, 0.406],
    std = [0.229, 0.224, 0.225];
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++)
      out[c * plane + i] = (img.data[i * 3 + (bgr ? 2 - c : c)] / 255 - mean[c]) / std[c];
  return out;
}

/**
 * The part of the working image that the crops of these faces can reach, so that decoding only it gives
 * the crops the whole decode gives. A face the align step warps directly (larger side at most
 * SHRINK_ABOVE) is grown by 1.5 × its larger side on every side, which holds the warp's reach even for a
 * turned, tilted face. A larger face is warped from its align square, shrunk, so the union of its crops
 * is enough: the landmark, attribute and align squares (shifted to fit the image), the pose and
 * expression crops and the stored face crop. For a 230-px face mid-photo that is about a quarter fewer
 * rows to decode (a JPEG is decoded down to the window's last row).
 */
export function neighbourhood(boxes: Box[], photo: { workWidth: number; workHeight: number }): Region {
  const W = photo.workWidth,
    H = photo.workHeight;
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  // A crop that starts outside the image is moved in, keeping its size (image.ts, inWindow).
  const add = (r: Region) => {
    const left = Math.max(0, r.left),
      top = Math.max(0, r.top);
    x1 = Math.min(x1, left);
    y1 = Math.min(y1, top);
    x2 = Math.max(x2, left + r.width);
    y2 = Math.max(y2, top + r.height);
  };
  for (const b of boxes) {
    const w = b[2] - b[0],
      h = b[3] - b[1],
      side = Math.max(w, h);
    if (side <= SHRINK_ABOVE) {
      add(grown(b, 1.5 * side, 1.5 * side));
      continue;
    }
    for (const scale of [CROP.landmarkSquare, CROP.attributeSquare, CROP.alignSquare])
      add(squareRegion(b, W, H, scale));
    add(grown(b, CROP.poseGrow * w, CROP.poseGrow * h));
    add(grown(b, CROP.expressionGrow * w, CROP.expressionGrow * h));
    add(grown(b, CROP.storedGrow * side, CROP.storedGrow * side));
  }
  // Crop edges are rounded when the crops are taken: up to two pixels either way.
  const left = Math.max(0, Math.floor(x1) - 2),
    top = Math.max(0, Math.floor(y1) - 2);
  return {
    left,
    top,
    width: Math.min(W, Math.ceil(x2) + 2) - left,
    height: Math.min(H, Math.ceil(y2) + 2) - top,
  };
}

function grown(b: Box, dx: number, dy: number): Region {
  return { left: b[0] - dx, top: b[1] - dy, width: b[2] - b[0] + 2 * dx, height: b[3] - b[1] + 2 * dy };
}

/** A square of side `scale` × box height around the box centre, shifted (not cut) to fit the image. */
export function squareRegion(box: Box, w: number, h: number, scale: number): Region {
  const side = Math.min((box[3] - box[1]) * scale, w, h);
  const cx = (box[0] + box[2]) / 2,
    cy = (box[1] + box[3]) / 2;
  const left = Math.max(0, Math.min(w - side, cx - side / 2));
  const top = Math.max(0, Math.min(h - side, cy - side / 2));
  return { left, top, width: side, height: side };
}

function pickByBox(faces: DetectedFace[], box: Box): DetectedFace | undefined {
  let best: DetectedFace | undefined,
    bestIou = 0;
  for (const f of faces) {
    const o = iou(f.box, box);
    if (o > bestIou) [best, bestIou] = [f, o];
  }
  return best && bestIou >= 0.3 ? best : undefined;
}

function pointsBox(p: Float32Array): Box {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (let i = 0; i < p.length; i += 2) {
    x1 = Math.min(x1, p[i]);
    x2 = Math.max(x2, p[i]);
    y1 = Math.min(y1, p[i + 1]);
    y2 = Math.max(y2, p[i + 1]);
  }
  return [x1, y1, x2, y2];
}

/** The middle of an aligned face (cheeks, nose, eyes): brightness is judged there, not on hair or background. */
function centre(aligned: RgbImage): Uint8Array {
  const out: number[] = [];
  for (let y = 36; y < 100; y++)
    for (let x = 28; x < 84; x++) for (let c = 0; c < 3; c++) out.push(aligned.data[(y * 112 + x) * 3 + c]);
  return Uint8Array.from(out);
}

function toOriginal(b: Box, scale: number): Box {
  return [b[0] / scale, b[1] / scale, b[2] / scale, b[3] / scale];
}

function toWorking(b: Box, scale: number): Box {
  return [b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale];
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
