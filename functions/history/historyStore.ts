import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryReader } from '../core/scan';
import type { HistoryQuery } from '../store/types';
import type { HourCache } from './hourCache';
import { type HourSegments, blockStream } from './hourBlocks';
import { HourTable } from './hourTable';
import { retainedFromMs } from '../core/retention';

export interface HistoryStoreOptions {
  table: string;
  shards: number;
  /** Hours read ahead of the one being scanned (at least; more while they are small). */
  lookaheadHours?: number;
  /** Hours kept in memory between searches (validated by their write versions); none: no cache. */
  cache?: HourCache;
  /** Settled hours as segments, read instead of their items while current. */
  segments?: HourSegments;
  /**
   * Days an event is kept (RETENTION_DAYS): a search never returns an event past it, though DynamoDB's
   * TTL sweep may leave its item for days (core/retention.ts retainedFromMs). None: no limit (tests of
   * the read path over synthetic years-old history).
   */
  retentionDays?: number;
  /** The clock retention is measured by (tests move it). */
  now?: () => number;
  /** Hours of more events are read by piece or page (tests lower it to reach pieces with few records). */
  wholeHourRecords?: number;
}

/**
 * What a search reads: the history of a window as blocks of packed codes in scan order (hourBlocks.ts),
 * from the events table's hours (hourTable.ts), their segments and the hour cache.
 *
 * @example const out = await scanHistory(history.records({ range, reverse: true }), { query, minCosine });
 */
export class HistoryStore {
  private readonly table: HourTable;

  constructor(
    db: DynamoDBClient,
    private readonly opts: HistoryStoreOptions,
  ) {
    this.table = new HourTable(db, { table: opts.table, shards: opts.shards });
  }

  records(q: HistoryQuery): HistoryReader {
    const { retentionDays, now = Date.now } = this.opts;
    if (retentionDays !== undefined) {
      const fromMs = Math.max(q.range.fromMs, retainedFromMs(now(), retentionDays));
      q = { ...q, range: { ...q.range, fromMs } };
    }
    return blockStream(q, this.table, {
      wholeHourRecords: this.opts.wholeHourRecords,
      cache: this.opts.cache,
      segments: this.opts.segments,
      lookahead: this.opts.lookaheadHours ?? 2,
    });
  }
}
