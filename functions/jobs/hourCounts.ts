import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { hourOf, type ScanRange } from '../core/timeWindow';
import { queryPages } from '../store/dynamoPaging';
import { directoryYears, hourDirectoryPk, hourDirectorySk, hourFromDirectorySk } from '../store/keys';
import type { HourCount } from './plan';

/**
 * The hours of a window that hold events, with their counts, from the hour directory (one Query per UTC
 * year, eventually consistent: the plan only needs counts, and the pieces tile the window anyway).
 */
export async function hourCounts(db: DynamoDBClient, table: string, range: ScanRange): Promise<HourCount[]> {
  const out: HourCount[] = [];
  for (const [first, last] of directoryYears(hourOf(range.fromMs), hourOf(range.toMs), false)) {
    const pages = queryPages(db, {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: {
        ':pk': { S: hourDirectoryPk(first) },
        ':lo': { S: hourDirectorySk(first) },
        ':hi': { S: hourDirectorySk(last) },
      },
      ProjectionExpression: 'sk, n',
    });
    for await (const items of pages) {
      for (const item of items) {
        out.push({
          hour: hourFromDirectorySk(item.sk.S ?? ''),
          count: item.n?.N === undefined ? undefined : Number(item.n.N),
        });
      }
    }
  }
  return out;
}
