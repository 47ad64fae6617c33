import { DEFAULT_FACENESS, type FacenessLimits } from './faceness';

export type ChannelOrder = 'rgb' | 'bgr';

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
