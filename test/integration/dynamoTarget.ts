import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';

/**
 * Which DynamoDB the storage tests talk to: the one `npm run test:dynamodb-local` started (its global
 * setup sets TEST_DYNAMODB_ENDPOINT), or, unset, a dynalite of the test's own.
 */
export const sharedDynamoEndpoint = (): string | undefined => process.env.TEST_DYNAMODB_ENDPOINT || undefined;

/** A table name no other test file or server uses: test files share one DynamoDB Local. */
export const uniqueTable = (prefix = 'sfs-it'): string => `${prefix}-${randomUUID()}`;

/** Frees a shared endpoint's memory once a test is done with its table. */
export async function dropTable(db: DynamoDBClient, table: string): Promise<void> {
  try {
    await db.send(new DeleteTableCommand({ TableName: table }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
}
