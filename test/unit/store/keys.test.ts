import { eventKey, parseSk, shardOf, skBounds } from '../../../functions/store/keys';

describe('table keys', () => {
  it('puts an event in its hour and shard, with a sort key that parses back', () => {
    const ts = Date.UTC(2026, 10, 24, 18, 30, 0, 123);
    const { pk, sk } = eventKey(ts, 'ev-1', 4);
    expect(pk).toBe(`EV#2026112418#${shardOf('ev-1', 4)}`);
    expect(parseSk(sk)).toEqual({ timestampMs: ts, eventId: 'ev-1' });
  });

  it('spreads ids over every shard', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`event-${i}`, 4)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('bounds select exactly the keys of an inclusive ms range', () => {
    const { lo, hi } = skBounds(1000, 2000);
    const inside = (ms: number, id: string) => {
      const sk = eventKey(ms, id, 1).sk;
      return sk >= lo && sk <= hi;
    };
    expect(inside(1000, '0')).toBe(true);
    expect(inside(2000, 'zzzz~')).toBe(true);
    expect(inside(2000, 'Z.9:-')).toBe(true);
    expect(inside(999, 'z')).toBe(false);
    expect(inside(2001, '0')).toBe(false);
  });
});
