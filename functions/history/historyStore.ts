import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryReader } from '../core/scan';
import type { HistoryQuery } from '../store/types';
import type { HourCache } from './hourCache';
import { type HourSegments, blockStream } from './hourBlocks';
import { HourTable } from './hourTable';

export interface HistoryStoreOptions {
  table: string;
  shards: number;
  /** Hours read ahead of the one being scanned (at least; more while they are small). */
  lookaheadHours?: number;
  /** Hours kept in memory between searches (validated by their write versions); none: no cache. */
  cache?: HourCache;
  /** Settled hours as segments, read instead of their items while current (only with a cache). */
  segments?: HourSegments;
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
    return blockStream(q, this.table, {
      cache: this.opts.cache,
      segments: this.opts.segments,
      lookahead: this.opts.lookaheadHours ?? 2,
    });
  }
}
