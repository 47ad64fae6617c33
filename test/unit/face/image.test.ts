import { ContractError } from '../../../functions/core/errors';
import { openPhoto, photoFormat } from '../../../functions/face/image';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('photoFormat', () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')],
    ['png', bytes('\x89PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR')],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
  ])('knows %s by its signature', (format, b) => expect(photoFormat(b)).toBe(format));

  it.each([
    ['empty', bytes()],
    ['one JPEG byte', bytes([0xff])],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['XML prolog', bytes('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg/>')],
    ['GIF', bytes('GIF89a', [1, 0, 1, 0])],
    ['TIFF', bytes('II*\0', [8, 0, 0, 0])],
    ['HEIC', bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic')],
    ['AVIF', bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1')],
    ['PDF', bytes('%PDF-1.7\n')],
    ['RIFF that is not WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['PNG signature cut short', bytes('\x89PNG\r\n')],
  ])('refuses %s', (_, b) => expect(photoFormat(b)).toBeUndefined());
});

describe('openPhoto', () => {
  it('refuses other formats before any decoder reads them', async () => {
    await expect(
      openPhoto(bytes('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), {
        maxPixels: 1e6,
        maxSide: 640,
      }),
    ).rejects.toEqual(new ContractError('IMAGE_NOT_OPENED', 'image: must be a JPEG, PNG or WebP photo'));
  });
});
