import { FIQA_LEVELS, type FiqaLevel } from '../face/types';
import { type ImageSource, parseImageSource, requireObject, SEARCH_DEFAULTS } from './contract';
import { ContractError } from './errors';

/** A validated POST /sophon/v2/face/detect body. */
export interface DetectQuery {
  image: ImageSource;
  fiqaLevel: FiqaLevel;
}

/**
 * The detect body: the image fields and `fiqa_level` exactly as searchbyimage takes them (same defaults,
 * same error codes and keys); every other field is ignored, so a client may send its search body as is.
 *
 * @example parseDetectRequest({ face_image_path: '/data/a.jpg' }, 8e6).fiqaLevel === 'low'
 */
export function parseDetectRequest(raw: unknown, maxImageBytes: number): DetectQuery {
  const body = requireObject(raw);
  const image = parseImageSource(body, maxImageBytes);
  let fiqaLevel: FiqaLevel = SEARCH_DEFAULTS.fiqaLevel;
  if (body.fiqa_level !== undefined && body.fiqa_level !== null) {
    const level = typeof body.fiqa_level === 'string' ? body.fiqa_level.trim().toLowerCase() : undefined;
    if (!FIQA_LEVELS.includes(level as FiqaLevel)) throw new ContractError('INVALID_ARGUMENTS', 'fiqa_level');
    fiqaLevel = level as FiqaLevel;
  }
  return { image, fiqaLevel };
}
