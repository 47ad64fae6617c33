import { erasureCovers } from '../../../functions/store/erasureLog';
import type { EventIntent, EventPointer } from '../../../functions/store/types';

const AT = 1_700_000_000_000;
const pointer = (ingestedAtMs?: number): EventPointer => ({
  eventId: 'e1',
  timestampMs: AT - 60_000,
  imageIds: ['e1.face'],
  ingestedAtMs,
});
const intent = (touchedAt: number, erasing = false): EventIntent => ({
  eventId: 'e1',
  timestampMs: AT - 60_000,
  imageIds: ['e1.face'],
  touchedAt,
  erasing,
});

describe('erasureCovers: an erasure covers the data stored when it was made', () => {
  it('covers a pointer ingested before or at the erasure, and one of unknown ingest time', () => {
    expect(erasureCovers(AT, pointer(AT - 1), undefined)).toBe(true);
    expect(erasureCovers(AT, pointer(AT), undefined)).toBe(true);
    expect(erasureCovers(AT, pointer(undefined), undefined)).toBe(true);
  });

  it('leaves a pointer ingested after the erasure (the id sent again: new data)', () => {
    expect(erasureCovers(AT, pointer(AT + 1), undefined)).toBe(false);
    // A complete new event's leftover intent does not make it old.
    expect(erasureCovers(AT, pointer(AT + 1), intent(AT - 5))).toBe(false);
  });

  it('without a pointer: covers an intent marked erasing or touched at or before the erasure', () => {
    expect(erasureCovers(AT, undefined, intent(AT + 10, true))).toBe(true);
    expect(erasureCovers(AT, undefined, intent(AT))).toBe(true);
    expect(erasureCovers(AT, undefined, intent(AT + 1))).toBe(false);
    expect(erasureCovers(AT, undefined, undefined)).toBe(false);
  });
});
