import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Settings } from '../settings';
import { ScheduledFunction } from './scheduledFunction';
import { FUNCTION_STORE_USES } from './storeAccess';

export interface ReconcileScheduleProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  /** Extra environment (the metrics namespace). */
  readonly environment?: Record<string, string>;
  /** Called with the function's role (the storage's key and resource policies must trust it). */
  readonly onRole?: (role: iam.IRole) => void;
}

/**
 * Once a day: reconcile (functions/reconcile/handler.ts) removes what failed ingests and interrupted
 * erasures left behind. Daily, because it lists the whole image bucket and an orphan harms no one
 * for a day (searches never see it: it has no event). Its role is the store's `reconcile` rows
 * (infra/constructs/storeAccess.ts) and nothing more; no models, so no layer and a small function.
 */
export class ReconcileSchedule extends ScheduledFunction {
  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id, {
      settings: props.settings,
      table: props.table,
      images: props.images,
      entry: 'functions/reconcile/handler.ts',
      bundle: 'reconcile',
      description: 'Scheduled reconcile: orphan images of failed ingests, unfinished erasures',
      uses: FUNCTION_STORE_USES.reconcile,
      memoryMb: 512,
      // Lambda's maximum: a large bucket takes a while to list, and nothing waits for the answer.
      timeout: Duration.minutes(15),
      environment: props.environment ?? {},
      schedule: events.Schedule.rate(Duration.days(1)),
      ruleDescription: 'Runs the reconcile function once a day',
      retryAttempts: 1,
      maxEventAge: Duration.hours(2),
      onRole: props.onRole,
    });
  }
}
