import { parseDetectRequest } from '../../../functions/core/detectRequest';
import { ContractError } from '../../../functions/core/errors';
import { toQueryFaceJson } from '../../../functions/core/queryFace';
import { detectFace, type DetectDeps } from '../../../functions/detect/detectFace';
import type { FaceEngine, QualityReport } from '../../../functions/core/face';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    // The code and the key the message names first.
    return err instanceof ContractError ? `${err.code} ${err.message.split(':')[0]}` : String(err);
  }
  return 'no error';
};

describe('parseDetectRequest', () => {
  it("takes search's image fields and fiqa_level, with search's default and codes", () => {
    expect(parseDetectRequest({ face_image_path: '/data/a.jpg' }, 8e6)).toEqual({
      image: { kind: 'path', path: '/data/a.jpg' },
      fiqaLevel: 'low',
    });
    expect(
      parseDetectRequest({ face_image_base64: 'data:image/jpeg;base64,AAAA', fiqa_level: ' High ' }, 8e6),
    ).toMatchObject({ image: { kind: 'bytes' }, fiqaLevel: 'high' });
    expect(code(() => parseDetectRequest({}, 8e6))).toBe('MISSING_ARGUMENTS face_image_base64');
    expect(code(() => parseDetectRequest({ face_image_base64: 'AAAA', fiqa_level: 3 }, 8e6))).toBe(
      'INVALID_ARGUMENTS fiqa_level',
    );
    expect(code(() => parseDetectRequest('x', 8e6))).toBe('INVALID_ARGUMENTS body');
    expect(code(() => parseDetectRequest({ face_image_base64: 'A'.repeat(2000) }, 1000))).toBe(
      'INVALID_ARGUMENTS face_image_base64',
    );
  });

  it('ignores search-only fields, so a client may send its search body as is', () => {
    const body = { face_image_path: 'a.jpg', threshold: 'not even a number', reverse: 'maybe' };
    expect(parseDetectRequest(body, 8e6).fiqaLevel).toBe('low');
  });
});

describe('detectFace', () => {
  const untouchable = new Proxy({} as never, {
    get: () => {
      throw new Error('touched');
    },
  });
  const deps = (grab: boolean): DetectDeps => ({
    config: {
      GRAB_MODE: grab,
      MAX_IMAGE_BYTES: 8e6,
      IMAGE_BUCKET: 'b',
      ALLOWED_BUCKETS: [],
      IMAGE_ROOT: undefined,
    },
    images: untouchable,
    engine: () => untouchable as FaceEngine,
  });

  it('answers NOT_SUPPORT_IN_GRAB_MODE before reading the body, the image or the engine', async () => {
    await expect(detectFace({}, deps(true))).rejects.toMatchObject({ code: 'NOT_SUPPORT_IN_GRAB_MODE' });
  });

  it('validates the body before it touches the image store or the engine', async () => {
    await expect(detectFace({ fiqa_level: 'low' }, deps(false))).rejects.toMatchObject({
      code: 'MISSING_ARGUMENTS',
    });
  });
});

describe('toQueryFaceJson', () => {
  const quality: QualityReport = {
    faceSize: 123.456,
    yaw: 10.04,
    pitch: -3.26,
    roll: 0.5,
    poseSum: 13.8,
    brightness: 120.02,
    sharpness: 50,
    completeness: 1,
    occlusion: 0,
  };

  it('rounds boxes and measures to 0.1 and the detector score to 4 places', () => {
    expect(toQueryFaceJson({ box: [1.04, 2.06, 100.55, 200.949], detScore: 0.987654, quality })).toEqual({
      box: [1, 2.1, 100.6, 200.9],
      det_score: 0.9877,
      quality: { face_size: 123.5, yaw: 10, pitch: -3.3, roll: 0.5, brightness: 120 },
    });
  });

  it('leaves out what was not measured instead of sending null', () => {
    const ungated = { ...quality, yaw: NaN, pitch: NaN, roll: NaN, poseSum: NaN };
    const json = toQueryFaceJson({ box: [0, 0, 10, 10], detScore: 1, quality: ungated });
    expect(json.quality).toEqual({ face_size: 123.5, brightness: 120 });
    expect(JSON.stringify(json)).not.toContain('null');
  });
});
