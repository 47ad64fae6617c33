import { ContractError, translateFaceErrors } from '../../../functions/core/errors';
import { FaceEngineError } from '../../../functions/core/face';

describe('translateFaceErrors', () => {
  it.each([
    ['unreadable', 'IMAGE_NOT_OPENED'],
    ['noFace', 'NO_FACE_ERROR'],
  ] as const)("turns the engine's %s into the contract's %s, keeping its message", async (kind, code) => {
    const err = await translateFaceErrors(Promise.reject(new FaceEngineError(kind, 'why'))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code, message: 'why', status: 400 });
  });

  it('passes any other failure and any answer as they are', async () => {
    const other = new Error('model file missing');
    await expect(translateFaceErrors(Promise.reject(other))).rejects.toBe(other);
    await expect(translateFaceErrors(Promise.resolve(7))).resolves.toBe(7);
  });
});
