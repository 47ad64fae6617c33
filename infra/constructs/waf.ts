import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RateLimitAclProps {
  /** Requests one client IP may send in any 5 minutes before it is blocked (until its rate falls). */
  readonly ratePerFiveMinutes: number;
}

/**
 * A regional WAFv2 web ACL for the API stages (`-c waf=true`): a rate-based rule per client IP, and AWS's
 * known-bad-inputs rules (Log4j-style payloads, bad hosts). No body-size rule: bodies are face photos.
 */
export class RateLimitAcl extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitAclProps) {
    super(scope, id);
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: false, // samples would hold request data
    });
    this.acl = new wafv2.CfnWebACL(this, 'Acl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('FaceSearchAcl'),
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.ratePerFiveMinutes, aggregateKeyType: 'IP' },
          },
          visibilityConfig: visibility('FaceSearchRatePerIp'),
        },
        {
          name: 'KnownBadInputs',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
          visibilityConfig: visibility('FaceSearchKnownBadInputs'),
        },
      ],
    });
  }
}
