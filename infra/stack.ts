import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alarms } from './constructs/alarms';
import { COMPACTION, HistoryCompactor } from './constructs/compactor';
import { Console } from './constructs/console';
import { FaceApi } from './constructs/api';
import { FaceFunctions, SIZING } from './constructs/faceFunctions';
import { ModelLayer } from './constructs/modelLayer';
import { People } from './constructs/people';
import { RateLimitAcl } from './constructs/waf';
import { Monitoring } from './constructs/monitoring';
import { ReconcileSchedule } from './constructs/reconcileSchedule';
import { Storage } from './constructs/storage';
import { applyNagSuppressions } from './nag';
import { PIECE, SearchJobs } from './constructs/searchJobs';
import type { Settings } from './settings';

export interface FaceSearchStackProps extends StackProps {
  readonly settings: Settings;
}

/**
 * Machine clients → API Gateway (REST, IAM or narrow API keys) and people → the console's API (Cognito) →
 * search / detect / ingest / images / jobs functions → DynamoDB (events, leases, jobs) and S3 (images;
 * uploads under incoming/ trigger ingest), both under a customer-managed key; a search job runs as a
 * Step Functions Distributed Map over the piece function. The model layer carries the models and
 * native modules; alarms watch all of it. On LocalStack: no layer (bundled instead), no CloudFront
 * console, no key (docs/deploy.md, "the appliance").
 */
export class FaceSearchStack extends Stack {
  constructor(scope: Construct, id: string, props: FaceSearchStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const local = settings.profile === 'local';

    const storage = new Storage(this, 'Storage', {
      retentionDays: settings.retentionDays,
      recoveryDays: settings.recoveryDays,
      local,
    });
    // LocalStack's community edition has no Lambda layers: the functions carry models and modules.
    const layer = local ? undefined : new ModelLayer(this, 'Models', { arch: settings.arch }).layer;
    // People sign in to the console (Cognito); machines keep IAM or narrow API keys on their own API.
    const site =
      !local && settings.console
        ? new Console(this, 'Console', { accessLogs: storage.accessLogs })
        : undefined;
    const functions = new FaceFunctions(this, 'Functions', {
      settings,
      table: storage.table,
      images: storage.images,
      layer,
      consoleOrigin: site?.origin,
      dataKey: storage.key,
      onRole: (role) => storage.trust(role),
    });
    // Search jobs: a Step Functions map over each job's pieces (docs/speed.md, "Search jobs").
    const searchJobs = new SearchJobs(this, 'SearchJobs', {
      settings,
      table: storage.table,
      images: storage.images,
      dataKey: storage.key,
      jobsFunction: functions.jobs,
      maxConcurrency: settings.jobConcurrency,
      pieceAttempts: 3,
      jobTimeout: Duration.hours(2),
      onRole: (role) => storage.trust(role),
    });
    // Packs settled hours into segments a search reads in a few large reads (docs/store.md, "Segments").
    const compactor = new HistoryCompactor(this, 'Compactor', {
      settings,
      table: storage.table,
      images: storage.images,
      dataKey: storage.key,
      onRole: (role) => storage.trust(role),
    });
    const routes = {
      search: functions.search,
      detect: functions.detect,
      ingest: functions.ingest,
      images: functions.images,
      jobs: functions.jobs,
    };
    const api = new FaceApi(this, 'Api', {
      ...routes,
      auth: settings.apiAuth,
      throttleRate: settings.throttleRate,
      throttleBurst: settings.throttleBurst,
      keyThrottle: {
        rate: settings.keyThrottleRate,
        burst: settings.keyThrottleBurst,
        quotaPerDay: settings.keyQuotaPerDay,
      },
      eraser: storage.dataAdmin,
    });
    const people = site ? new People(this, 'People', { consoleOrigin: site.origin }) : undefined;
    const consoleApi =
      site && people
        ? new FaceApi(this, 'ConsoleApi', {
            ...routes,
            auth: 'cognito',
            userPool: people.userPool,
            throttleRate: settings.throttleRate,
            throttleBurst: settings.throttleBurst,
            consoleOrigin: site.origin,
          })
        : undefined;
    const apis = [api, ...(consoleApi ? [consoleApi] : [])];
    const aclArn = settings.waf
      ? new RateLimitAcl(this, 'Waf', { ratePerFiveMinutes: settings.wafRateLimit }).acl.attrArn
      : settings.wafAclArn;
    if (aclArn) for (const a of apis) a.protectWith(aclArn);

    // Embedded metrics (functions/observability): one namespace per stack, so copies side by side
    // (-c stackName=...) keep their own.
    const metricsNamespace = `Sophon/${this.stackName}`;
    // The stack's functions by the names their alarms carry (the scheduled reconcile joins them below).
    const lambdas = {
      Search: functions.search,
      Detect: functions.detect,
      Ingest: functions.ingest,
      IngestS3: functions.ingestS3,
      Images: functions.images,
      Jobs: functions.jobs,
      JobPiece: searchJobs.piece,
      Compactor: compactor.fn,
    };
    for (const fn of Object.values(lambdas))
      fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', metricsNamespace);

    if (!local) {
      // The appliance runs `npm run reconcile` by hand or from cron (docs/store.md).
      const reconcile = new ReconcileSchedule(this, 'Reconcile', {
        settings,
        table: storage.table,
        images: storage.images,
        environment: { POWERTOOLS_METRICS_NAMESPACE: metricsNamespace },
        onRole: (role) => storage.trust(role),
      });
      const alarms = new Alarms(this, 'Alarms', {
        functions: { ...lambdas, Reconcile: reconcile.fn },
        api: api.api,
        ingestFailures: functions.ingestFailures,
        // Alarm at 80% of each timeout: a function that close to it is about to fail requests.
        latencyMs: {
          Search: SIZING.search.timeout.toMilliseconds() * 0.8,
          Detect: SIZING.detect.timeout.toMilliseconds() * 0.8,
          Ingest: SIZING.ingestApi.timeout.toMilliseconds() * 0.8,
          IngestS3: SIZING.ingestS3.timeout.toMilliseconds() * 0.8,
          Images: SIZING.images.timeout.toMilliseconds() * 0.8,
          Jobs: SIZING.jobs.timeout.toMilliseconds() * 0.8,
          JobPiece: PIECE.timeout.toMilliseconds() * 0.8,
          Compactor: COMPACTION.timeout.toMilliseconds() * 0.8,
        },
        email: settings.alarmEmail,
      });
      new Monitoring(this, 'Monitoring', {
        namespace: metricsNamespace,
        functions: {
          search: functions.search,
          detect: functions.detect,
          ingest: functions.ingest,
          'ingest-s3': functions.ingestS3,
          images: functions.images,
          jobs: functions.jobs,
          reconcile: reconcile.fn,
          compactor: compactor.fn,
        },
        table: storage.table,
        api: api.api,
        topic: alarms.topic,
      });
    }
    if (site && people && consoleApi) {
      site.publish(consoleApi.api.url, { url: people.signInUrl, clientId: people.client.userPoolClientId });
      new CfnOutput(this, 'ConsoleUrl', { value: `${site.origin}/` });
      new CfnOutput(this, 'ConsoleApiUrl', { value: consoleApi.api.url });
      new CfnOutput(this, 'UserPoolId', { value: people.userPool.userPoolId });
    }

    new CfnOutput(this, 'ApiUrl', { value: api.api.url });
    new CfnOutput(this, 'SearchUrl', { value: api.api.urlForPath('/sophon/v2/face/searchbyimage') });
    new CfnOutput(this, 'EventsTable', { value: storage.table.tableName });
    new CfnOutput(this, 'ImageBucket', { value: storage.images.bucketName });
    for (const [name, key] of Object.entries(api.apiKeys)) {
      new CfnOutput(this, `${name}ApiKeyId`, { value: key.keyId });
    }
    if (storage.key) new CfnOutput(this, 'DataKeyArn', { value: storage.key.keyArn });
    if (storage.dataAdmin) new CfnOutput(this, 'DataAdminRoleArn', { value: storage.dataAdmin.roleArn });
    if (storage.uploader) new CfnOutput(this, 'UploaderRoleArn', { value: storage.uploader.roleArn });

    applyNagSuppressions(this, settings);
  }
}
