import { ContractError } from '../../../functions/core/errors';
import { jsonLongerThan, MAX_ATTRIBUTES_JSON, parseIngestBody } from '../../../functions/core/event';

const NOW = 1_795_000_000_000;
const img = Buffer.from('jpeg bytes').toString('base64');
const parse = (body: unknown) => parseIngestBody(body, NOW, 1024);

describe('parseIngestBody', () => {
  it('fills the contract event defaults for a single event', () => {
    const { batch, events } = parse({ face_image_base64: img });
    expect(batch).toBe(false);
    expect(events[0]).toMatchObject({
      eventId: undefined,
      timestampMs: NOW,
      identityName: 'stranger',
      identityId: '',
      registerImageId: '',
      userType: 'employee',
      device: { media_device_id: '', media_device_name: '', media_device_ip: '', media_device_type: '' },
      attributes: {},
    });
  });

  it('takes a batch as {events} or a bare array', () => {
    expect(parse({ events: [{ face_image_base64: img }, { face_image_path: 'a.jpg' }] }).events).toHaveLength(
      2,
    );
    expect(parse([{ face_image_base64: img }]).batch).toBe(true);
  });

  it('names the bad key of a batch member', () => {
    expect(() =>
      parse({ events: [{ face_image_base64: img }, { face_image_base64: img, user_type: 'x' }] }),
    ).toThrow(new ContractError('INVALID_ARGUMENTS', 'events[1].user_type'));
  });

  it.each([
    [{ face_image_base64: img, event_id: '../x' }, 'event_id'],
    [{ face_image_base64: img, face_box: [10, 10, 5, 20] }, 'face_box'],
    [
      { face_image_base64: img, media_device_info: { media_device_id: 3 } },
      'media_device_info.media_device_id',
    ],
    [{ face_image_base64: img, timestamp: 'noon' }, 'timestamp'],
    [{ events: [] }, 'events'],
    [{ events: 'x', face_image_base64: img }, 'events'],
    [{ events: { 0: { face_image_base64: img } } }, 'events'],
    [{ events: 7 }, 'events'],
    [
      { face_image_base64: img, recognize_face_attr: { hat: 'x'.repeat(MAX_ATTRIBUTES_JSON) } },
      'recognize_face_attr',
    ],
  ])('refuses %j', (body, key) => {
    expect(() => parse(body)).toThrow(new ContractError('INVALID_ARGUMENTS', key));
  });

  it('takes `events: null` as no batch, like an absent field', () => {
    expect(parse({ events: null, face_image_base64: img }).batch).toBe(false);
  });

  it('keeps small client attributes and refuses deeply nested ones without overflowing the stack', () => {
    const attrs = { gender: 'female', box: [1, 2, 3, 4] };
    expect(parse({ face_image_base64: img, recognize_face_attr: attrs }).events[0].attributes).toEqual(attrs);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(() => parse({ face_image_base64: img, recognize_face_attr: deep })).toThrow(
      new ContractError('INVALID_ARGUMENTS', 'recognize_face_attr'),
    );
  });
});

describe('jsonLongerThan', () => {
  it('over-estimates JSON.stringify, never under', () => {
    for (const v of [{}, [], 'abc', { a: [1, 2, { b: null, c: 'x' }] }, [true, false, 1.5e300]]) {
      const n = JSON.stringify(v).length;
      expect(jsonLongerThan(v, n - 1)).toBe(true);
      expect(jsonLongerThan(v, 4 * n + 8)).toBe(false);
    }
  });
});
