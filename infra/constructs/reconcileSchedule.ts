import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Settings } from '../settings';
import { IMAGE_PREFIX } from '../../functions/store/keys';
import { REPO_ROOT } from './modelLayer';

export interface ReconcileScheduleProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  /** Extra environment (the metrics namespace). */
  readonly environment?: Record<string, string>;
}

/**
 * Once a day: reconcile (functions/reconcile/handler.ts) removes what failed ingests and interrupted
 * erasures left behind. Daily, because it lists the whole image bucket and an orphan harms no one
 * for a day (searches never see it: it has no event). Its role is docs/store.md's reconcile row and
 * nothing more; no models, so no layer and a small function.
 */
export class ReconcileSchedule extends Construct {
  readonly fn: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id);
    const { settings, table, images } = props;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Scheduled reconcile of orphan images and records: least privilege',
    });
    logGroup.grantWrite(role);
    const common = {
      description: 'Scheduled reconcile: orphan images of failed ingests, unfinished erasures',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: settings.arch === 'x64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
      memorySize: 512,
      // Lambda's maximum: a large bucket takes a while to list, and nothing waits for the answer.
      timeout: Duration.minutes(15),
      environment: {
        EVENTS_TABLE: table.tableName,
        IMAGE_BUCKET: images.bucketName,
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
      logGroup,
      role,
    };
    this.fn =
      settings.bundling !== 'esbuild'
        ? new lambda.Function(this, 'Function', {
            ...common,
            handler: 'index.handler',
            code: lambda.Code.fromAsset(join(settings.bundling, 'reconcile')),
          })
        : new NodejsFunction(this, 'Function', {
            ...common,
            entry: join(REPO_ROOT, 'functions/reconcile/handler.ts'),
            handler: 'handler',
            projectRoot: REPO_ROOT,
            depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
            bundling: {
              format: OutputFormat.CJS,
              target: 'node22',
              minify: true,
              sourceMap: true,
              sourcesContent: false,
              logLevel: LogLevel.ERROR,
              externalModules: ['onnxruntime-node', 'sharp', 'dynalite', 's3rver'],
            },
          });

    // docs/store.md, "What each function needs": reads and deletes of pointers and records, the hour's
    // write version bumped by a removal, the listing of images/ and reads and deletes under it.
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    allow(['dynamodb:GetItem', 'dynamodb:DeleteItem'], [table.tableArn]);
    allow(['dynamodb:UpdateItem'], [table.tableArn], {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HV#*'] },
    });
    allow(['s3:ListBucket'], [images.bucketArn], { StringLike: { 's3:prefix': [`${IMAGE_PREFIX}*`] } });
    allow(['s3:GetObject', 's3:DeleteObject'], [images.arnForObjects(`${IMAGE_PREFIX}*`)]);

    this.rule = new events.Rule(this, 'Daily', {
      description: 'Runs the reconcile function once a day',
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 1, maxEventAge: Duration.hours(2) })],
    });
  }
}
