import { loggableError, scrubLogText } from '../../../functions/shared/loggableError';

const photoBase64 = Buffer.alloc(3000, 7).toString('base64');
const embedding = Array.from({ length: 512 }, (_, i) => Math.sin(i) / 10);

describe('loggableError', () => {
  it('keeps an ordinary message and name', () => {
    expect(loggableError(new TypeError('cannot read properties of undefined (reading "box")'))).toEqual({
      name: 'TypeError',
      message: 'cannot read properties of undefined (reading "box")',
    });
  });

  it('blanks out base64 echoed by a library and cuts long messages', () => {
    const { message } = loggableError(
      new Error(`Unexpected token in JSON: {"face_image_base64":"${photoBase64}"}`),
    );
    expect(message).toContain('[redacted]');
    expect(message).not.toContain(photoBase64.slice(0, 64));
    expect(message!.length).toBeLessThanOrEqual(300);
  });

  it('blanks out number lists (embeddings, serialized Buffers)', () => {
    expect(scrubLogText(`bad vector ${embedding.join(',')}`)).toBe('bad vector [numbers]');
    expect(
      scrubLogText(JSON.stringify(Buffer.from([255, 216, 255, 224, 0, 16, 74, 70, 73, 70]))),
    ).not.toMatch(/255,216,255/);
    expect(scrubLogText('took 12, 15 and 17 ms')).toBe('took 12, 15 and 17 ms');
  });

  it('keeps stack frames only, never the message line', () => {
    const err = new Error(`decoder said ${photoBase64}`);
    const { stack } = loggableError(err, true);
    expect(stack).toMatch(/^\s+at /);
    expect(stack).not.toContain('decoder said');
    expect(loggableError(err).stack).toBeUndefined();
  });

  it('survives values that are not errors', () => {
    expect(loggableError('a string')).toEqual({ name: 'string' });
    expect(loggableError(null)).toEqual({ name: 'object' });
    expect(loggableError({ name: 5, message: {} })).toEqual({ name: undefined });
  });
});
