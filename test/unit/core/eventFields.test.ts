import { ContractError } from '../../../functions/core/errors';
import { parseIngestEvent } from '../../../functions/core/event';
import { ATTRIBUTE_CAPS, FIELD_CAPS } from '../../../functions/core/eventFields';

const NOW = 1_795_000_000_000;
const img = Buffer.from('jpeg bytes').toString('base64');
const parse = (extra: Record<string, unknown>) =>
  parseIngestEvent({ face_image_base64: img, ...extra }, NOW, 1024);

/** The message of the ContractError `fn` throws ('' if none). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('INVALID_ARGUMENTS');
    return (err as ContractError).message;
  }
  return '';
}

const DEVICE_KEYS = ['media_device_id', 'media_device_name', 'media_device_ip', 'media_device_type'] as const;
const TOP_KEYS = ['identity_name', 'identity_id', 'register_image_id'] as const;
/** A 3-byte UTF-8 character: the most a capped character costs as JSON (control characters are refused). */
const WIDE = '€';

describe('free-text field caps', () => {
  it.each(TOP_KEYS)('%s: takes its cap, refuses one more, naming the key and the cap', (key) => {
    const cap = FIELD_CAPS[key];
    expect(parse({ [key]: WIDE.repeat(cap) })).toBeDefined();
    expect(refusal(() => parse({ [key]: WIDE.repeat(cap + 1) }))).toBe(
      `${key}: must be a string of at most ${cap} characters, without control characters`,
    );
  });

  it.each(DEVICE_KEYS)('media_device_info.%s: takes its cap, refuses one more', (key) => {
    const cap = FIELD_CAPS[key];
    expect(parse({ media_device_info: { [key]: 'x'.repeat(cap) } }).device[key]).toHaveLength(cap);
    expect(refusal(() => parse({ media_device_info: { [key]: 'x'.repeat(cap + 1) } }))).toMatch(
      new RegExp(`^media_device_info\\.${key}: must be a string of at most ${cap} characters`),
    );
  });

  it.each([
    ['huge', 'x'.repeat(5_000_000)],
    ['a number', 42],
    ['a list', ['a']],
    ['an object', { a: 1 }],
    ['a control character', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a lone surrogate', 'a\ud800b'],
  ])('identity_name: refuses %s', (_, value) => {
    expect(refusal(() => parse({ identity_name: value }))).toMatch(
      /^identity_name: must be a string of at most/,
    );
  });

  it('takes empty strings and keeps emoji (surrogate pairs)', () => {
    expect(parse({ identity_name: '', identity_id: '' }).identityName).toBe('');
    expect(parse({ identity_name: 'Zoë 👩‍🚒' }).identityName).toBe('Zoë 👩‍🚒');
  });
});

describe('recognize_face_attr caps', () => {
  const rule = `recognize_face_attr: must be an object of at most ${ATTRIBUTE_CAPS.keys} keys`;

  it("takes the engine's shape with a client's values", () => {
    const attrs = {
      point: [1.5, 2.5, 3, 4, 5, 6, 7, 8, 9, 10],
      box: [1, 2, 30, 40],
      mask: '0',
      gender: 'female',
      hat: null,
      age: 'youth',
      glasses: 'no',
      expression: 'happy',
    };
    expect(parse({ recognize_face_attr: attrs }).attributes).toEqual(attrs);
  });

  it('takes a list of its cap in numbers, refuses one more, naming the key', () => {
    const point = Array.from({ length: ATTRIBUTE_CAPS.listItems }, (_, i) => i);
    expect(parse({ recognize_face_attr: { point } }).attributes.point).toHaveLength(ATTRIBUTE_CAPS.listItems);
    expect(refusal(() => parse({ recognize_face_attr: { point: [...point, 1] } }))).toMatch(
      new RegExp(`^recognize_face_attr\\.point: .*a list of at most ${ATTRIBUTE_CAPS.listItems} numbers`),
    );
  });

  it('takes a value of its cap in characters, refuses one more', () => {
    const hat = 'x'.repeat(ATTRIBUTE_CAPS.valueChars);
    expect(parse({ recognize_face_attr: { hat } }).attributes.hat).toBe(hat);
    expect(refusal(() => parse({ recognize_face_attr: { hat: `${hat}x` } }))).toMatch(
      /^recognize_face_attr\.hat: must be null, true\/false, a number, a string of at most 64 characters/,
    );
  });

  it('takes the key cap, refuses one more key', () => {
    const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(parse({ recognize_face_attr: attrs(ATTRIBUTE_CAPS.keys) }).attributes)).toHaveLength(
      ATTRIBUTE_CAPS.keys,
    );
    expect(refusal(() => parse({ recognize_face_attr: attrs(ATTRIBUTE_CAPS.keys + 1) }))).toMatch(
      new RegExp(`^${rule}`),
    );
  });

  it('takes the byte cap as JSON exactly, refuses one byte more', () => {
    // 16 keys of 64-character values are over the byte cap: fill to exactly the cap with one filler key.
    const base: Record<string, unknown> = {};
    for (let i = 0; i < ATTRIBUTE_CAPS.keys - 1; i++) base[`k${String(i).padStart(2, '0')}`] = 'x'.repeat(58);
    const room = ATTRIBUTE_CAPS.jsonBytes - Buffer.byteLength(JSON.stringify({ ...base, z: '' }));
    expect(room).toBeGreaterThan(0);
    expect(room).toBeLessThanOrEqual(ATTRIBUTE_CAPS.valueChars);
    const exact = { ...base, z: 'y'.repeat(room) };
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(ATTRIBUTE_CAPS.jsonBytes);
    expect(parse({ recognize_face_attr: exact }).attributes).toEqual(exact);
    expect(refusal(() => parse({ recognize_face_attr: { ...base, z: 'y'.repeat(room + 1) } }))).toMatch(
      new RegExp(`^${rule}`),
    );
  });

  it.each([
    ['a list', [1, 2]],
    ['a string', 'x'],
    ['a number', 3],
    ['a nested object', { box: { x: 1 } }],
    ['a list of strings', { point: ['1'] }],
    ['a list of lists', { point: [[1, 2]] }],
    ['a non-finite number', { age: Number.NaN }],
    ['a control character in a value', { hat: 'a\u0007' }],
    ['an empty key', { '': 1 }],
    ['a key over its cap', { ['k'.repeat(ATTRIBUTE_CAPS.keyChars + 1)]: 1 }],
    ['a key that is not a plain name', { 'a b': 1 }],
    ['100,000 keys', Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 1]))],
  ])('refuses %s, naming recognize_face_attr', (_, value) => {
    expect(refusal(() => parse({ recognize_face_attr: value }))).toMatch(
      /^recognize_face_attr(\.[^:]+)?: must /,
    );
  });

  it.each([' ', 'a b', 'é', 'k'.repeat(ATTRIBUTE_CAPS.keyChars + 1)])(
    'refuses the key %j naming only recognize_face_attr (a key is echoed only when it is a plain name)',
    (key) => {
      expect(refusal(() => parse({ recognize_face_attr: { [key]: 1 } }))).toMatch(new RegExp(`^${rule}`));
    },
  );

  it('refuses a value nested 200,000 deep without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(refusal(() => parse({ recognize_face_attr: { a: deep } }))).toMatch(
      /^recognize_face_attr\.a: must/,
    );
    expect(refusal(() => parse({ recognize_face_attr: deep }))).toMatch(/^recognize_face_attr\.a: must/);
  });
});
