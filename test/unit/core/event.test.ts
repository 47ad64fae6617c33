import { ContractError } from '../../../functions/core/errors';
import { parseIngestBody } from '../../../functions/core/event';
import { ATTRIBUTE_CAPS } from '../../../functions/core/eventFields';

const NOW = 1_795_000_000_000;
const img = Buffer.from('jpeg bytes').toString('base64');
const parse = (body: unknown) => parseIngestBody(body, NOW, 1024);
/** INVALID_ARGUMENTS whose message names `key` first, then what is allowed. */
const refusedNaming = (body: unknown, key: string) => {
  expect(() => parse(body)).toThrow(ContractError);
  try {
    parse(body);
  } catch (err) {
    expect((err as ContractError).code).toBe('INVALID_ARGUMENTS');
    expect((err as ContractError).message).toMatch(new RegExp(`^${key.replace(/[[\].]/g, '\\$&')}: \\S`));
  }
};

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
    ).toThrow(
      new ContractError(
        'INVALID_ARGUMENTS',
        'events[1].user_type: must be one of employee, visitor, blacklist, stranger, vip',
      ),
    );
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
      { face_image_base64: img, recognize_face_attr: { hat: 'x'.repeat(ATTRIBUTE_CAPS.jsonBytes) } },
      'recognize_face_attr.hat',
    ],
    [{ face_image_base64: img, event_id: 7 }, 'event_id'],
    [{ face_image_base64: img, media_device_info: 'cam' }, 'media_device_info'],
    [{ events: [{ face_image_base64: img }, 'x'] }, 'events[1]'],
    [
      {
        face_image_base64: img,
        recognize_face_attr: Object.fromEntries(
          Array.from({ length: ATTRIBUTE_CAPS.keys }, (_, i) => [
            `k${i}`,
            'x'.repeat(ATTRIBUTE_CAPS.valueChars),
          ]),
        ),
      },
      'recognize_face_attr',
    ],
  ])('refuses %j', (body, key) => {
    refusedNaming(body, key);
  });

  it('takes `events: null` as no batch, like an absent field', () => {
    expect(parse({ events: null, face_image_base64: img }).batch).toBe(false);
  });

  it('keeps small client attributes and refuses deeply nested ones without overflowing the stack', () => {
    const attrs = { gender: 'female', box: [1, 2, 3, 4] };
    expect(parse({ face_image_base64: img, recognize_face_attr: attrs }).events[0].attributes).toEqual(attrs);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    refusedNaming({ face_image_base64: img, recognize_face_attr: deep }, 'recognize_face_attr.a');
  });
});
