import type { FiqaLevel } from './face';
import { IMAGE_KEYS, type ImageSource, parseFiqaLevel, parseImageSource, requireObject } from './contract';
import { DetectRequest, issuesOf } from './requestSchemas';

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
  const failOn = issuesOf(DetectRequest, body);
  failOn(IMAGE_KEYS);
  const image = parseImageSource(body, maxImageBytes);
  failOn(['fiqa_level']);
  return { image, fiqaLevel: parseFiqaLevel(body) };
}
