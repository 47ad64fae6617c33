import { performance } from 'node:perf_hooks';
import type {
  Box,
  DetectedFace,
  EventFace,
  FaceEngine,
  FiqaLevel,
  Point,
  QualityReport,
  QueryFace,
  StageTimings,
} from '../core/face';
import { FaceEngineError } from '../core/face';
import { REFERENCE_112, fivePointsFrom68, similarityTransform, warpAffine } from './align';
import { faceAttributes, measurePose } from './attributeModels';
import {
  CROP,
  SHRINK_ABOVE,
  WARP_FACE_SIZE,
  neighbourhood,
  pointsBox,
  squareRegion,
  toOriginal,
  toWorking,
} from './cropGeometry';
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
import { DEFAULT_ENGINE, type EngineOptions } from './engineOptions';
import { isFace } from './faceness';
import { insideShare, laplacianVariance, meanLuma } from './quality';
import type { ModelRunner } from './sessions';
import { alignedCentre, featureTensor, greyTensor } from './tensors';

export { DEFAULT_ENGINE, type ChannelOrder, type EngineOptions } from './engineOptions';

/** A photo opened and its detector input decoded: the part of a query that runs no model. */
interface DetectorReady {
  photo: OpenedPhoto;
  small: RgbImage;
  canvasWidth: number;
  canvasHeight: number;
  openMs: number;
  decodeMs: number;
}

/** The detect → landmarks → align → embed pipeline over ONNX Runtime sessions. */
export class OnnxFaceEngine implements FaceEngine {
  /** prepareQuery's work by photo, until analyzeQuery takes it over (or the photo is dropped). */
  private readonly prepared = new WeakMap<Buffer, Promise<DetectorReady>>();

  constructor(
    private readonly models: ModelRunner,
    private readonly opts: EngineOptions = DEFAULT_ENGINE,
  ) {}

  prepareQuery(image: Buffer): void {
    if (this.prepared.has(image)) return;
    const ready = this.decodeForDetector(image);
    ready.catch(() => undefined); // analyzeQuery meets the failure
    this.prepared.set(image, ready);
  }

  async detectAll(image: Buffer): Promise<{ faces: DetectedFace[]; width: number; height: number }> {
    const ready = await this.decodeForDetector(image);
    const { photo } = ready;
    const faces = await this.detect(ready);
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
    // Bilinear sampling aliases when a large face shrinks to 112 px: shrink its surroundings first with an
    // area filter so the warp itself scales by less than 1.5. The square depends on the box alone, so it
    // is shrunk (on a libuv thread) while the landmarks are found.
    const size = Math.max(box[2] - box[0], box[3] - box[1]);
    const shrinking = size > SHRINK_ABOVE ? this.shrinkAlignSquare(img, box, size) : undefined;
    shrinking?.catch(() => undefined); // awaited below unless the landmarks fail
    const points68 = await this.landmarks(img, box);
    const t = performance.now();
    const five = fivePointsFrom68(points68);
    let src: RgbImage = img;
    let local = five.map(([x, y]) => [x - img.left, y - img.top] as Point);
    if (size > SHRINK_ABOVE) {
      const shrunk = await (shrinking ?? this.shrinkAlignSquare(img, box, size));
      const { width: w, height: h } = shrunk;
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

  /** The align square of a face larger than SHRINK_ABOVE, shrunk so the face is about 1.2 × WARP_FACE_SIZE. */
  private shrinkAlignSquare(img: ImageWindow, box: Box, size: number) {
    const region = squareRegion(box, img.fullWidth, img.fullHeight, CROP.alignSquare);
    const f = (1.2 * WARP_FACE_SIZE) / size;
    const w = Math.max(1, Math.round(region.width * f));
    const h = Math.max(1, Math.round(region.height * f));
    return resizeRegion(img, region, w, h);
  }

  async analyzeQuery(image: Buffer, fiqaLevel: FiqaLevel): Promise<QueryFace> {
    const ready = this.prepared.get(image);
    this.prepared.delete(image);
    // Every gate but 'no' checks the angle (CONTRACT.md); fr_pose is ~9 ms of a query, so 'no' skips it.
    const { face } = await this.analyze(image, { pose: fiqaLevel !== 'no', ready });
    return face;
  }

  async analyzeEvent(image: Buffer, opts: { box?: Box } = {}): Promise<EventFace> {
    const { face, photo, window, workBox, points68 } = await this.analyze(image, {
      pose: true,
      box: opts.box,
    });
    const t = performance.now();
    const attributes = await faceAttributes(
      this.models,
      { img: window, box: workBox, points68, scale: photo.scale, originalBox: face.box },
      { bgr: this.opts.attributeChannels === 'bgr', expression: this.opts.expression },
    );
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

  /** Opens the photo and decodes the detector's input: no model runs (prepareQuery runs it early). */
  private async decodeForDetector(image: Buffer): Promise<DetectorReady> {
    const t = performance.now();
    const photo = await this.open(image);
    const opened = performance.now();
    const { canvasWidth, canvasHeight } = this.opts.letterbox
      ? letterboxCanvas(photo.workWidth, photo.workHeight)
      : { canvasWidth: photo.workWidth, canvasHeight: photo.workHeight };
    const small = await detectorInput(
      photo,
      canvasWidth,
      canvasHeight,
      DETECT_WIDTH,
      DETECT_HEIGHT,
      this.opts.partialDecode,
    );
    return {
      photo,
      small,
      canvasWidth,
      canvasHeight,
      openMs: opened - t,
      decodeMs: performance.now() - opened,
    };
  }

  /** Faces in working-image pixels. */
  private async detect({ photo, small, canvasWidth, canvasHeight }: DetectorReady): Promise<DetectedFace[]> {
    const out = await this.models.run(
      'fr_detect',
      detectorTensor(small, this.opts.detectChannels === 'bgr'),
      [1, 3, DETECT_HEIGHT, DETECT_WIDTH],
    );
    return facesFromOutputs(
      out.scores,
      out.boxes,
      canvasWidth,
      canvasHeight,
      DEFAULT_DETECT,
      photo.workWidth,
      photo.workHeight,
    );
  }

  private async analyze(image: Buffer, req: { pose: boolean; box?: Box; ready?: Promise<DetectorReady> }) {
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
    // Prepared early (prepareQuery), the decode's own time is reported, not the wait for it.
    const ready = await (req.ready ?? this.decodeForDetector(image));
    const { photo } = ready;
    const waited = lap();
    timings.decodeMs = req.ready ? ready.openMs + ready.decodeMs : waited;
    const faces = await this.detect(ready);
    timings.detectMs = lap();
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
    let pose: Promise<[number, number, number]> | undefined;
    for (const f of candidates) {
      // Only the face's neighbourhood is decoded (at working resolution): the crops below all lie in it.
      const window = await decodeWindow(photo, neighbourhood([f.box], photo));
      timings.decodeMs += lap();
      // The pose needs only the window and the box: it runs beside landmarks, align and embed (on
      // worker threads, modelWorkers.ts), and is dropped if the face turns out not to be one.
      pose = req.pose ? this.pose(window, f.box) : undefined;
      pose?.catch(() => undefined); // awaited below when this face is chosen
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
    if (!chosen || !embedded) throw new FaceEngineError('noFace', 'no face found in the image');
    const workBox = chosen.face.box;
    const { window, aligned, points68, five } = chosen;
    const faceSize = Math.min(workBox[2] - workBox[0], workBox[3] - workBox[1]) / photo.scale;
    const [yaw, pitch, roll] = pose ? await pose : [NaN, NaN, NaN];
    // What the pose added after the embedding (all of its run when the models share one thread).
    timings.poseMs = lap();
    const quality: QualityReport = {
      faceSize,
      yaw,
      pitch,
      roll,
      poseSum: Math.abs(yaw) + Math.abs(pitch) + Math.abs(roll),
      brightness: meanLuma(alignedCentre(aligned)),
      sharpness: laplacianVariance(aligned.data, 112, 112),
      completeness: insideShare(pointsBox(points68), photo.workWidth, photo.workHeight, 0.05),
      occlusion: occlusionFromNorm(embedded.norm, this.opts.referenceNorm, this.opts.faceness.minNorm),
    };
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

  private pose(window: ImageWindow, box: Box): Promise<[number, number, number]> {
    return measurePose(this.models, window, box, this.opts.attributeChannels === 'bgr');
  }

  /** 68 points in working-image pixels. The landmark model sees the square around the box's centre. */
  private async landmarks(img: ImageWindow, box: Box): Promise<Float32Array> {
    const r = squareRegion(box, img.fullWidth, img.fullHeight, CROP.landmarkSquare);
    const crop = await resizeRegion(img, r, 64, 64);
    const out = (await this.models.run('fr_landmark', greyTensor(crop), [1, 1, 64, 64])).output;
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
    const input = featureTensor(rgb, this.opts.featureChannels === 'bgr', mirror);
    const out = (await this.models.run('fr_feature', input, [1, 3, 112, 112])).output;
    return Float32Array.from(out);
  }
}

/**
 * Occlusion proxy: a face embedder's raw feature norm falls when the face is hidden, blurred or not a face
 * (the models give no occlusion head). 0 at or above the median dev face, 1 at the face/non-face limit.
 */
export function occlusionFromNorm(norm: number, referenceNorm: number, minFaceNorm: number): number {
  return Math.max(0, Math.min(1, (referenceNorm - norm) / (referenceNorm - minFaceNorm)));
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
