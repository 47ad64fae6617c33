import { writeSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

/** The storage calls that change something: a crash point follows each. */
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'PutObjectCommand',
  'DeleteObjectCommand',
  'DeleteObjectsCommand',
  'CopyObjectCommand',
]);

/** Counted across every client of the process: the Nth write is the Nth of the process. */
let writes = 0;

/**
 * Crash tests only (CRASH_AFTER_WRITES, docs/store.md "Crashes"): kills this process with SIGKILL right
 * after its Nth storage write has been answered, as a power cut or `kill -9` would, leaving whatever the
 * writes so far left. Prints the write it stopped after to stderr, so a test can say where it crashed.
 */
export function addCrashHook(client: DynamoDBClient | S3Client, afterWrites: number): void {
  (client as DynamoDBClient).middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const name = context.commandName ?? '';
      if (WRITES.has(name) && ++writes >= afterWrites) {
        writeSync(2, `crash hook: killed after write ${writes} (${name})\n`);
        process.kill(process.pid, 'SIGKILL');
      }
      return out;
    },
    { step: 'initialize', name: 'crashAfterWrites' },
  );
}
