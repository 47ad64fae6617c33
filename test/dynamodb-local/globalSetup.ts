import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodbLocal';

/**
 * Jest's globalSetup for `npm run test:dynamodb-local`: one DynamoDB Local for the whole run. Workers
 * start after this and inherit TEST_DYNAMODB_ENDPOINT; each test server or store test makes its own table.
 */
export default async function globalSetup(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = ddb.endpoint;
  (globalThis as { dynamoDbLocal?: DynamoDbLocal }).dynamoDbLocal = ddb;
  console.log(`\nDynamoDB Local (pid ${ddb.pid}) on ${ddb.endpoint}`);
}
