import type { DynamoDbLocal } from './dynamodbLocal';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { dynamoDbLocal?: DynamoDbLocal }).dynamoDbLocal?.stop();
}
