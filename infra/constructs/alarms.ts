import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  readonly functions: Record<string, lambda.IFunction>;
  readonly api: apigw.RestApi;
  readonly ingestFailures: sqs.IQueue;
  /** p99 latency, per function, above which someone should look (ms). */
  readonly latencyMs: Record<string, number>;
  readonly email?: string;
}

/** Errors, throttles and latency of every function and of the API, to one SNS topic. */
export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Face search alarms', enforceSSL: true });
    if (props.email) this.topic.addSubscription(new subs.EmailSubscription(props.email));
    const notify = new actions.SnsAction(this.topic);
    const add = (name: string, metric: cloudwatch.IMetric, threshold: number, evaluationPeriods = 1) => {
      const alarm = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    };
    const fiveMinutes = { period: Duration.minutes(5) };

    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, fn.metricErrors({ ...fiveMinutes, statistic: 'Sum' }), 5);
      add(`${name}Throttles`, fn.metricThrottles({ ...fiveMinutes, statistic: 'Sum' }), 1);
      const latency = props.latencyMs[name];
      if (latency)
        add(`${name}LatencyP99`, fn.metricDuration({ ...fiveMinutes, statistic: 'p99' }), latency, 3);
    }
    add('Api5xx', props.api.metricServerError({ ...fiveMinutes, statistic: 'Sum' }), 5);
    add('ApiLatencyP99', props.api.metricLatency({ ...fiveMinutes, statistic: 'p99' }), 20_000, 3);
    add(
      'IngestFailuresQueued',
      props.ingestFailures.metricApproximateNumberOfMessagesVisible({ ...fiveMinutes, statistic: 'Maximum' }),
      1,
    );
  }
}
