import type { Box, FaceAttributes } from '../core/face';
import { fivePointsFrom68 } from './align';
import { EXPRESSIONS, ageBand, binnedAngle, genderLabel, softmax, ssrMerge } from './attributes';
import { CROP, grown, squareRegion } from './cropGeometry';
import { type ImageWindow, resizeRegion } from './image';
import type { ModelRunner } from './sessions';
import { concatOutputs, imagenetTensor, unitTensor } from './tensors';

/** The models that describe a found face: fr_pose for the quality gate, age, gender and expression for ingest. */

/** [yaw, pitch, roll] in degrees, from the box (working pixels) grown by a quarter on each side. */
export async function measurePose(
  models: ModelRunner,
  img: ImageWindow,
  box: Box,
  bgr: boolean,
): Promise<[number, number, number]> {
  const w = box[2] - box[0],
    h = box[3] - box[1];
  const crop = await resizeRegion(img, grown(box, CROP.poseGrow * w, CROP.poseGrow * h), 224, 224);
  const out = await models.run('fr_pose', imagenetTensor(crop, bgr), [1, 3, 224, 224]);
  return [binnedAngle(out.output), binnedAngle(out['617']), binnedAngle(out['618'])];
}

/**
 * recognize_face_attr: age and gender from the attribute square, the expression (when asked) from the
 * box grown by a tenth; the five points and `originalBox` in original pixels, rounded to 0.1 px.
 */
export async function faceAttributes(
  models: ModelRunner,
  face: { img: ImageWindow; box: Box; points68: Float32Array; scale: number; originalBox: Box },
  opts: { bgr: boolean; expression: boolean },
): Promise<FaceAttributes> {
  const { img, box, points68, scale, originalBox } = face;
  const r = squareRegion(box, img.fullWidth, img.fullHeight, CROP.attributeSquare);
  const face64 = imagenetTensor(await resizeRegion(img, r, 64, 64), opts.bgr);
  const [age, gender] = await Promise.all([
    models.run('fr_age', face64, [1, 3, 64, 64]),
    models.run('fr_gender', face64, [1, 3, 64, 64]),
  ]);
  const years = ssrMerge(concatOutputs(age), 101);
  const male = ssrMerge(concatOutputs(gender), 1);
  let expression: string | null = null;
  if (opts.expression) {
    const w = box[2] - box[0],
      h = box[3] - box[1];
    const g = CROP.expressionGrow;
    const crop = await resizeRegion(img, grown(box, g * w, g * h), 224, 224);
    const p = softmax((await models.run('fr_expression', unitTensor(crop), [1, 3, 224, 224])).output);
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

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
