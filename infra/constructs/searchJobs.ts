import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Settings } from '../settings';
import { functionIdentity, nodeFunction, storeEndpoints } from './lambdaFunction';
import { JOB_RESULT_DAYS } from './storage';
import { FUNCTION_STORE_USES, grantStore } from './storeAccess';

/**
 * A piece scans about JOB_PIECE_RECORDS (100,000) records: about a second; the timeout is headroom for a
 * cold hour. 1,769 MB is one whole vCPU: the scan is CPU-bound, so more memory is faster at the same
 * cost per piece (docs/speed.md, "Search jobs", the paper figures).
 */
export const PIECE = { memoryMb: 1769, timeout: Duration.minutes(2) } as const;
/** Lambda's transient errors and a piece's own failure: retried with backoff (a retry overwrites itself). */
export const PIECE_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.TaskFailed',
];

export interface SearchJobsProps {
  readonly settings: Settings;
  readonly table: dynamodb.ITable;
  readonly images: s3.IBucket;
  readonly dataKey?: kms.IKey;
  /** The jobs' routes (FaceFunctions.jobs): the only principal that may start or stop executions. */
  readonly jobsFunction: lambda.Function;
  /** Pieces of one job scanned at once (the map's MaxConcurrency). */
  readonly maxConcurrency: number;
  /** Attempts of a piece in all before the job fails. */
  readonly pieceAttempts: number;
  /** A job's execution stops after this long. */
  readonly jobTimeout: Duration;
  readonly onRole?: (role: iam.IRole) => void;
}

/**
 * Search jobs in AWS (docs/speed.md, "Search jobs"): one Step Functions execution per job, a Distributed
 * Map over its pieces running the piece Lambda (functions/jobs/pieceHandler.ts) at most `maxConcurrency`
 * at a time, each retried with backoff; no failure tolerated: the first piece out of attempts fails the
 * map, and the Catch marks the job failed. The piece function loads no face model: a piece only scores
 * stored embeddings against the job's query embedding.
 */
export class SearchJobs extends Construct {
  readonly piece: lambda.Function;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SearchJobsProps) {
    super(scope, id);
    const { settings, table, images } = props;
    const description = 'Search job piece';
    const { logGroup, role } = functionIdentity(this, 'Piece', description);
    props.onRole?.(role);
    grantStore(role, { table, images }, FUNCTION_STORE_USES.jobPiece);
    const environment: Record<string, string> = {
      EVENTS_TABLE: table.tableName,
      IMAGE_BUCKET: images.bucketName,
      // A piece reads each hour once: a small cache (functions/shared/config.ts, JOB_WORKER_CACHE_MB).
      EMBEDDING_CACHE_MB: '1',
      NODE_OPTIONS: '--enable-source-maps',
      ...storeEndpoints(settings),
    };
    if (props.dataKey) environment.IMAGE_KMS_KEY_ID = props.dataKey.keyArn;
    this.piece = nodeFunction(
      this,
      'Piece',
      settings,
      { entry: 'functions/jobs/pieceHandler.ts', bundle: 'jobPiece' },
      {
        description,
        memorySize: PIECE.memoryMb,
        timeout: PIECE.timeout,
        environment,
        logGroup,
        role,
      },
    );

    const scan = new tasks.LambdaInvoke(this, 'ScanPiece', {
      lambdaFunction: this.piece,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    scan.addRetry({
      errors: PIECE_RETRY_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: props.pieceAttempts - 1,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const pieces = new sfn.DistributedMap(this, 'Pieces', {
      itemsPath: sfn.JsonPath.stringAt('$.items'),
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: 0,
      resultPath: sfn.JsonPath.DISCARD,
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    pieces.itemProcessor(scan);
    const markFailed = new tasks.LambdaInvoke(this, 'MarkFailed', {
      lambdaFunction: this.piece,
      payload: sfn.TaskInput.fromObject({ jobId: sfn.JsonPath.stringAt('$.jobId'), failed: true }),
      payloadResponseOnly: true,
    });
    pieces.addCatch(markFailed.next(new sfn.Fail(this, 'JobFailed', { error: 'JobFailed' })), {
      resultPath: '$.error',
    });

    const smLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(pieces.next(new sfn.Succeed(this, 'JobDone'))),
      timeout: props.jobTimeout,
      tracingEnabled: true,
      // The events and the query stay out of the logs: an execution's data is its pieces' ranges only,
      // but a piece's answer is not logged either.
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // Only the jobs' routes start, stop and describe this state machine's executions.
    const jobs = props.jobsFunction;
    jobs.addEnvironment('JOB_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    // A job outlives neither its results' lifecycle rule nor the other way round.
    jobs.addEnvironment('JOB_TTL_HOURS', String(JOB_RESULT_DAYS * 24));
    // A job's admission slot frees itself after the execution's timeout, if its release is lost.
    jobs.addEnvironment('JOB_SLOT_LEASE_SECONDS', String(props.jobTimeout.toSeconds() + 60));
    jobs.addToRolePolicy(
      new iam.PolicyStatement({
        // No ListExecutions: running jobs are counted by their slots in the table (jobSlots.ts).
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    jobs.addToRolePolicy(
      new iam.PolicyStatement({
        // Describe: a GET finds a job whose execution timed out or failed outside the map's Catch.
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${this.stateMachine.stateMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }
}
