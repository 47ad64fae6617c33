import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS, SERVICES, type ServiceName } from '../../functions/observability/metricNames';

export interface MonitoringProps {
  /** The functions' embedded-metric namespace (POWERTOOLS_METRICS_NAMESPACE). */
  readonly namespace: string;
  /** Each function by its `service` dimension. */
  readonly functions: Partial<Record<ServiceName, lambda.IFunction>>;
  readonly table: dynamodb.ITable;
  readonly api: apigw.RestApi;
  /** Where the alarms on these signals go (the stack's alarm topic). */
  readonly topic: sns.ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);
const API_SERVICES: ServiceName[] = [SERVICES.search, SERVICES.detect, SERVICES.ingest, SERVICES.images];

/**
 * The service's dashboard (search latency and work, errors by contract code, refusals, Lambda, DynamoDB
 * and API Gateway health, ingest and reconcile) and alarms on the signals a person should act on:
 * answered server errors (a 503/500 is a successful Lambda invocation, so the Errors alarms miss it),
 * searches refused for lack of a slot, DynamoDB throttling and a failed reconcile.
 */
export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { namespace, table, api } = props;
    const fns = Object.entries(props.functions) as [ServiceName, lambda.IFunction][];
    const metric = (service: ServiceName, metricName: string, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: FIVE_MINUTES,
        label,
      });
    const percentiles = (service: ServiceName, name: string, what: string) =>
      ['p50', 'p95', 'p99'].map((p) => metric(service, name, p, `${what} ${p}`));
    const perFunction = (name: string, statistic: string) =>
      fns.map(([service, fn]) => fn.metric(name, { statistic, period: FIVE_MINUTES, label: service }));
    const search = SERVICES.search;

    const errorRate = (service: ServiceName, kind: 'serverErrors' | 'clientErrors') => {
      // Ids must be unique within one graph.
      const id = `${service.replace(/\W/g, '_')}_${kind}`;
      return new cloudwatch.MathExpression({
        expression: `100 * ${id} / MAX([${id}_requests, 1])`,
        usingMetrics: {
          [id]: metric(service, METRICS[kind], 'Sum'),
          [`${id}_requests`]: metric(service, METRICS.requests, 'Sum'),
        },
        label: `${service} ${kind === 'serverErrors' ? '5xx' : '4xx'} %`,
        period: FIVE_MINUTES,
      });
    };
    const tableMetric = (name: string, statistic: string) =>
      table.metric(name, { statistic, period: FIVE_MINUTES, label: name });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[], unit?: string) =>
      new cloudwatch.GraphWidget({
        title,
        left,
        right,
        width: 8,
        height: 6,
        leftYAxis: unit ? { label: unit, showUnits: false, min: 0 } : { min: 0 },
      });
    this.dashboard.addWidgets(
      graph(
        'Search latency (total_time)',
        percentiles(search, METRICS.searchTime, 'search'),
        undefined,
        'ms',
      ),
      graph(
        'Search: face and scan time',
        [...percentiles(search, METRICS.faceTime, 'face'), ...percentiles(search, METRICS.scanTime, 'scan')],
        undefined,
        'ms',
      ),
      graph(
        'Records per search',
        [
          metric(search, METRICS.recordsExamined, 'p50', 'examined p50'),
          metric(search, METRICS.recordsExamined, 'p95', 'examined p95'),
          metric(search, METRICS.recordsExamined, 'Maximum', 'examined max'),
          metric(search, METRICS.recordsRead, 'p95', 'read p95'),
        ],
        [metric(search, METRICS.matches, 'Average', 'matches (avg)')],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Requests, refusals (429), cold starts',
        [
          ...API_SERVICES.map((s) => metric(s, METRICS.requests, 'Sum', `${s} requests`)),
          metric(search, METRICS.refused, 'Sum', 'search refused (429)'),
        ],
        [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{"${namespace}",function_name,service} MetricName="${METRICS.coldStart}"', 'Sum', 300)`,
            label: 'cold starts',
            period: FIVE_MINUTES,
          }),
        ],
      ),
      graph(
        'Error rates (% of requests)',
        API_SERVICES.flatMap((s) => [errorRate(s, 'serverErrors'), errorRate(s, 'clientErrors')]),
        undefined,
        '%',
      ),
      graph('Errors by contract code', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{"${namespace}",code,service} MetricName="${METRICS.errorsByCode}"', 'Sum', 300)`,
          label: 'errors',
          period: FIVE_MINUTES,
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Lambda duration p99', perFunction('Duration', 'p99'), undefined, 'ms'),
      graph('Lambda concurrency (max)', perFunction('ConcurrentExecutions', 'Maximum')),
      graph('Lambda errors and throttles', [
        ...fns.map(([s, fn]) =>
          fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: `${s} errors` }),
        ),
        ...fns.map(([s, fn]) =>
          fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: `${s} throttles` }),
        ),
      ]),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB consumed capacity', [
        tableMetric('ConsumedReadCapacityUnits', 'Sum'),
        tableMetric('ConsumedWriteCapacityUnits', 'Sum'),
      ]),
      graph('DynamoDB throttles', [
        tableMetric('ReadThrottleEvents', 'Sum'),
        tableMetric('WriteThrottleEvents', 'Sum'),
      ]),
      graph(
        'API Gateway',
        [
          api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: '4xx' }),
          api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum', label: '5xx' }),
        ],
        [api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'latency p99 (ms)' })],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest: events stored and rejected',
        [SERVICES.ingest, SERVICES.ingestS3].flatMap((s) => [
          metric(s, METRICS.eventsIngested, 'Sum', `${s} stored`),
          metric(s, METRICS.eventsRejected, 'Sum', `${s} rejected`),
        ]),
        [metric(SERVICES.ingest, METRICS.ingestTime, 'p95', 'ingest time p95 (ms)')],
      ),
      graph('Reconcile (daily)', [
        metric(SERVICES.reconcile, METRICS.orphanImagesRemoved, 'Sum', 'orphan images removed'),
        metric(SERVICES.reconcile, METRICS.orphanRecordsRemoved, 'Sum', 'orphan records removed'),
        metric(SERVICES.reconcile, METRICS.erasuresFinished, 'Sum', 'erasures finished'),
        metric(SERVICES.reconcile, METRICS.unverifiedImages, 'Sum', 'unverified images'),
        metric(SERVICES.reconcile, METRICS.reconcileFailures, 'Sum', 'failed runs'),
      ]),
    );

    const notify = new actions.SnsAction(props.topic);
    const alarm = (
      name: string,
      description: string,
      m: cloudwatch.IMetric,
      threshold: number,
      periods = 1,
    ) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric: m,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      return a;
    };
    for (const s of API_SERVICES) {
      const name = s[0].toUpperCase() + s.slice(1);
      alarm(
        `${name}ServerErrors`,
        `${s}: 5 or more 5xx answers (SERVICE_UNAVAILABLE, INTERNAL_ERROR) in 5 minutes`,
        metric(s, METRICS.serverErrors, 'Sum'),
        5,
      );
    }
    alarm(
      'SearchRefusals',
      'A quarter or more of searches refused (429, no free slot) for 15 minutes: raise maxConcurrentSearches',
      new cloudwatch.MathExpression({
        expression: '100 * refused / MAX([requests, 1])',
        usingMetrics: {
          refused: metric(search, METRICS.refused, 'Sum'),
          requests: metric(search, METRICS.requests, 'Sum'),
        },
        period: FIVE_MINUTES,
      }),
      25,
      3,
    );
    alarm(
      'TableThrottles',
      'DynamoDB throttled 10 or more reads or writes in 5 minutes',
      new cloudwatch.MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: tableMetric('ReadThrottleEvents', 'Sum'),
          writes: tableMetric('WriteThrottleEvents', 'Sum'),
        },
        period: FIVE_MINUTES,
      }),
      10,
    );
    alarm(
      'ReconcileFailed',
      'The daily reconcile failed',
      new cloudwatch.Metric({
        namespace,
        metricName: METRICS.reconcileFailures,
        dimensionsMap: { service: SERVICES.reconcile },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      1,
    );
  }
}
