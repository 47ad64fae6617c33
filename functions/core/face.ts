/** What the face engine gives the rest of the service. Boxes and points are in original-image pixels. */
export type Box = [x1: number, y1: number, x2: number, y2: number];
export type Point = [x: number, y: number];

export type FiqaLevel = 'no' | 'low' | 'middle' | 'high';
export const FIQA_LEVELS: readonly FiqaLevel[] = ['no', 'low', 'middle', 'high'];

export type AgeBand = 'child' | 'juvenile' | 'youth' | 'middle-aged' | 'aged';

export interface DetectedFace {
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
}

export interface QualityReport {
  /** Shorter side of the face box, original pixels. */
  faceSize: number;
  /** Degrees; yaw, pitch, roll and poseSum are NaN where not measured (a query at fiqa_level 'no'). */
  yaw: number;
  pitch: number;
  roll: number;
  /** |yaw| + |pitch| + |roll|, degrees. */
  poseSum: number;
  /** Mean luma of the face region, 0..255. */
  brightness: number;
  /** Variance of the Laplacian on the aligned grey face: low means blurred. */
  sharpness: number;
  /** Share of the (expanded) face box that lies inside the image, 0..1. */
  completeness: number;
  /** Landmark fit residual: high when part of the face is hidden or the landmarks are unsure. */
  occlusion: number;
}

/** recognize_face_attr of the contract; unknown values are null. */
export interface FaceAttributes {
  point: number[];
  box: Box;
  mask: '0' | '1' | '2' | null;
  gender: 'male' | 'female' | null;
  hat: string | null;
  age: AgeBand | null;
  glasses: 'yes' | 'no' | null;
  expression: string | null;
}

export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  landmarkMs: number;
  alignMs: number;
  embedMs: number;
  poseMs: number;
  attributesMs?: number;
}

export interface QueryFace {
  box: Box;
  detScore: number;
  landmarks5: Point[];
  /** 512-d, L2-normalized. */
  embedding: Float32Array;
  quality: QualityReport;
  imageWidth: number;
  imageHeight: number;
  timings: StageTimings;
}

export interface EventFace extends QueryFace {
  attributes: FaceAttributes;
  /** JPEG of the face region (box expanded), for recognize_face_image_id. */
  crop: Buffer;
}

/**
 * Why the engine gave no face: the photo cannot be read (not a JPEG, PNG or WebP, undecodable, too many
 * pixels), or it holds no face. The engine's own error, so the engine knows nothing of the contract; the
 * use cases translate it (core/errors.ts `translateFaceErrors`). Its message is written for the client.
 */
export type FaceErrorKind = 'unreadable' | 'noFace';

export class FaceEngineError extends Error {
  constructor(
    readonly kind: FaceErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'FaceEngineError';
  }
}

export interface FaceEngine {
  /**
   * Query path: decode, take the largest face, embed it and measure what the gate at fiqaLevel checks; at
   * 'no' the pose is not measured (the quality report's angles are NaN). The gate itself is the caller's
   * (core/qualityGate.ts). Throws FaceEngineError 'unreadable' or 'noFace'.
   */
  analyzeQuery(image: Buffer, fiqaLevel: FiqaLevel): Promise<QueryFace>;
  /**
   * Starts the work analyzeQuery(image) begins with that runs no model (opening the photo and decoding
   * the detector's reduced copy), so that it overlaps what the caller does meanwhile; the next
   * analyzeQuery of the same Buffer takes it over. Never throws (a failure is analyzeQuery's).
   */
  prepareQuery?(image: Buffer): void;
  /** Ingest path: as analyzeQuery with no gate, plus attributes and a face crop. `box` picks the face. */
  analyzeEvent(image: Buffer, opts?: { box?: Box }): Promise<EventFace>;
  /** Every face in the photo (for the console's preview and the evaluation). */
  detectAll(image: Buffer): Promise<{ faces: DetectedFace[]; width: number; height: number }>;
}
