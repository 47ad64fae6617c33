import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Settings } from '../settings';
import { functionIdentity, nodeFunction, storeEndpoints } from './lambdaFunction';
import { grantStore, type StoreUse } from './storeAccess';

export interface ScheduledFunctionProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  /** The handler file (under the repository) and its prebuilt bundle's name (template tests). */
  readonly entry: string;
  readonly bundle: string;
  readonly description: string;
  /** The store uses the role is granted (infra/constructs/storeAccess.ts), and nothing else of the store. */
  readonly uses: readonly StoreUse[];
  readonly memoryMb: number;
  readonly timeout: Duration;
  readonly schedule: events.Schedule;
  readonly ruleDescription: string;
  /** Retries of a failed run by EventBridge, and how old an undelivered run may get. */
  readonly retryAttempts: number;
  readonly maxEventAge?: Duration;
  readonly reservedConcurrency?: number;
  readonly environment: Record<string, string>;
  /** Called with the role: the storage's key and resource policies trust it (infra/constructs/storage.ts). */
  readonly onRole?: (role: iam.IRole) => void;
}

/**
 * A store function on an EventBridge schedule (the history compactor, the daily reconcile): its own log
 * group and least-privilege role, the bundling every function shares, the table and bucket endpoints
 * (LocalStack's inside its containers) in its environment.
 */
export class ScheduledFunction extends Construct {
  readonly fn: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const { settings, table, images } = props;
    const { logGroup, role } = functionIdentity(this, '', props.description);
    props.onRole?.(role);
    grantStore(role, { table, images }, props.uses);
    const environment: Record<string, string> = {
      EVENTS_TABLE: table.tableName,
      IMAGE_BUCKET: images.bucketName,
      ...props.environment,
      NODE_OPTIONS: '--enable-source-maps',
      ...storeEndpoints(settings),
    };
    this.fn = nodeFunction(
      this,
      'Function',
      settings,
      { entry: props.entry, bundle: props.bundle },
      {
        description: props.description,
        memorySize: props.memoryMb,
        timeout: props.timeout,
        reservedConcurrentExecutions: props.reservedConcurrency,
        environment,
        logGroup,
        role,
      },
    );
    this.rule = new events.Rule(this, 'Schedule', {
      description: props.ruleDescription,
      schedule: props.schedule,
      targets: [
        new targets.LambdaFunction(this.fn, {
          retryAttempts: props.retryAttempts,
          maxEventAge: props.maxEventAge,
        }),
      ],
    });
  }
}
