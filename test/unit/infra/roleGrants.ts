import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { asArray, statementsOfRole, type Cfn } from './synth';

/**
 * One storage access: an IAM action and what it names. `key` is the partition key for DynamoDB item
 * actions, the object key for S3 object actions, the listed prefix for s3:ListBucket.
 */
export interface Access {
  action: string;
  key: string;
}

/** One thing a role allows: an action on keys matching `pattern` (IAM's `*` wildcard). */
export interface Grant {
  action: string;
  pattern: string;
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export const allows = (grants: Grant[], a: Access): boolean =>
  grants.some((g) => g.action === a.action && glob(g.pattern).test(a.key));

/**
 * What a role of the synthesized template allows on the table and the bucket (log and other grants
 * left out). Only the shapes the stack writes are understood; anything else throws, so a new shape
 * cannot pass unexamined.
 */
export function grantsOfRole(
  json: Record<string, Cfn>,
  roleId: string,
  ids: { table: string; bucket: string },
): Grant[] {
  const tableArn = JSON.stringify({ 'Fn::GetAtt': [ids.table, 'Arn'] });
  const bucketArn = { 'Fn::GetAtt': [ids.bucket, 'Arn'] };
  const out: Grant[] = [];
  for (const st of statementsOfRole(json, roleId)) {
    if (st.Effect !== 'Allow') throw new Error(`unexpected statement ${JSON.stringify(st)}`);
    for (const action of asArray(st.Action) as string[]) {
      if (action.startsWith('logs:')) continue;
      if (action.startsWith('dynamodb:')) {
        if (JSON.stringify(st.Resource) !== tableArn)
          throw new Error(`${action} on ${JSON.stringify(st.Resource)}`);
        const patterns = st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['*'];
        for (const pattern of asArray(patterns) as string[]) out.push({ action, pattern });
      } else if (action === 's3:ListBucket') {
        if (JSON.stringify(st.Resource) !== JSON.stringify(bucketArn))
          throw new Error('listing of another bucket');
        const patterns = st.Condition?.StringLike?.['s3:prefix'] ?? ['*'];
        for (const pattern of asArray(patterns) as string[]) out.push({ action, pattern });
      } else if (action.startsWith('s3:')) {
        for (const r of asArray(st.Resource) as Cfn[]) {
          const parts = r?.['Fn::Join']?.[1];
          // Objects of other (allow-listed) buckets are not the store's.
          if (!parts || JSON.stringify(parts[0]) !== JSON.stringify(bucketArn)) continue;
          out.push({ action, pattern: String(parts[1]).replace(/^\//, '') });
        }
        // states: (the jobs function's executions) is checked against its calls in storeAccess.test.ts.
      } else if (!/^(kms|sqs|states):/.test(action)) throw new Error(`unexpected action ${action}`);
    }
  }
  return out;
}

/** The IAM accesses one SDK command stands for (https://docs.aws.amazon.com/service-authorization/). */
export function accessesOf(command: string, input: Cfn, table: string): Access[] {
  const op = command.replace(/Command$/, '');
  const pk = (item: Cfn) => String(item?.pk?.S);
  switch (op) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action: `dynamodb:${op}`, key: pk(input.Key ?? input.Item) }];
    case 'Query':
      if (!/^pk = :pk\b/.test(input.KeyConditionExpression))
        throw new Error(`query ${input.KeyConditionExpression}`);
      return [{ action: 'dynamodb:Query', key: String(input.ExpressionAttributeValues[':pk'].S) }];
    case 'BatchGetItem':
      return (input.RequestItems[table].Keys as Cfn[]).map((k) => ({
        action: 'dynamodb:BatchGetItem',
        key: pk(k),
      }));
    case 'BatchWriteItem':
      return (input.RequestItems[table] as Cfn[]).map((r) => ({
        action: 'dynamodb:BatchWriteItem',
        key: pk(r.PutRequest?.Item ?? r.DeleteRequest?.Key),
      }));
    case 'GetObject':
    case 'HeadObject':
      return [{ action: 's3:GetObject', key: input.Key }];
    case 'PutObject':
      return [
        { action: 's3:PutObject', key: input.Key },
        ...(input.Tagging ? [{ action: 's3:PutObjectTagging', key: input.Key }] : []),
      ];
    case 'DeleteObject':
      return [{ action: 's3:DeleteObject', key: input.Key }];
    case 'DeleteObjects':
      return (input.Delete.Objects as Cfn[]).map((o) => ({ action: 's3:DeleteObject', key: o.Key }));
    case 'ListObjectsV2':
      return [{ action: 's3:ListBucket', key: input.Prefix ?? '' }];
    default:
      // Scan, table or bucket administration: no function of the stack is granted any.
      return [
        {
          action: `${command.includes('Object') || command.includes('Bucket') ? 's3' : 'dynamodb'}:${op}`,
          key: '',
        },
      ];
  }
}

/**
 * Records every call sent through the clients while `on` is true, as IAM accesses (a middleware at the
 * start of each call, so retries count once).
 */
export function recordAccesses(clients: { dynamo: DynamoDBClient; s3: S3Client }, table: string) {
  const seen: Access[] = [];
  const state = { on: false, seen };
  for (const client of [clients.dynamo, clients.s3] as DynamoDBClient[])
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (state.on) seen.push(...accessesOf(context.commandName ?? '', args.input, table));
        return next(args);
      },
      { step: 'initialize', name: 'recordAccesses' },
    );
  return state;
}
