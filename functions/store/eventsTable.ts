import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** The retention attribute (epoch seconds) every item carries; DynamoDB TTL deletes items past it. */
export const TTL_ATTRIBUTE = 'expiresAt';

const defaults = {
  /** LocalStack and AWS report CREATING for a few seconds; a minute covers a cold appliance. */
  maxWaitSeconds: 60,
};

const nameOf = (err: unknown) => (err as { name?: string } | null)?.name;

/**
 * Creates the events table (pk/sk strings, on-demand) unless it exists, waits until it is ACTIVE, and
 * turns TTL on for `expiresAt`. For the local server, LocalStack and tests; the CDK stack owns the
 * cloud's table. Safe to call from several processes at once.
 *
 * @example await ensureEventsTable(dynamo, config.EVENTS_TABLE);
 */
export async function ensureEventsTable(
  db: DynamoDBClient,
  table: string,
  opts: Partial<typeof defaults> = {},
): Promise<void> {
  const o = { ...defaults, ...opts };
  if (!(await exists(db, table))) {
    try {
      await db.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
        }),
      );
    } catch (err) {
      // Another process created it between our describe and create.
      if (nameOf(err) !== 'ResourceInUseException') throw err;
    }
  }
  // Writes to a CREATING table fail with ResourceNotFoundException (AWS, LocalStack, dynalite).
  await waitUntilTableExists(
    { client: db, maxWaitTime: o.maxWaitSeconds, minDelay: 1, maxDelay: 2 },
    { TableName: table },
  );
  await enableTtl(db, table);
}

async function exists(db: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await db.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (err) {
    if (nameOf(err) !== 'ResourceNotFoundException') throw err;
    return false;
  }
}

async function enableTtl(db: DynamoDBClient, table: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await db.send(new DescribeTimeToLiveCommand({ TableName: table }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  try {
    await db.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite has no UpdateTimeToLive (and expires nothing); a concurrent caller may have enabled it.
    if (nameOf(err) === 'UnknownOperationException') return;
    if (nameOf(err) === 'ValidationException' && /already enabled/i.test((err as Error).message)) return;
    throw err;
  }
}
