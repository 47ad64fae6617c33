/**
 * Caps on an event's free-text fields, in characters (UTF-16 code units). They keep one stored event, and
 * so one search result, at a few KB however a client fills it (docs/api.md, "Field caps"), which bounds a
 * page of 1,000 results. Ids are machine keys, names are for people, device ip and type are short codes.
 */
export const FIELD_CAPS = {
  identity_name: 256,
  identity_id: 128,
  register_image_id: 128,
  media_device_id: 128,
  media_device_name: 256,
  media_device_ip: 64,
  media_device_type: 64,
} as const;

/** recognize_face_attr: the engine's own take ~250 bytes; a client's, merged over them, at most this. */
export const ATTRIBUTE_CAPS = {
  /** The whole object as JSON, in UTF-8 bytes. */
  jsonBytes: 1024,
  keys: 16,
  keyChars: 32,
  /** A string value (`hat`, `expression`, ...). */
  valueChars: 64,
  /** A list value: `point` (5 landmarks, x and y: 10) and `box` (4). */
  listItems: 20,
} as const;

/** What a capped free-text field allows, in its error message and its description. */
export const textRule = (max: number) =>
  `must be a string of at most ${max} characters, without control characters`;
