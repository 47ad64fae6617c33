import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleConfigScript } from '../../functions/shared/consoleConfig';
import { REPO_ROOT } from './modelLayer';

export interface ConsoleProps {
  readonly accessLogs?: s3.IBucket;
}

/**
 * What the console's page may load and call: its own files, photos the person picks (data:, blob:), the
 * console API (execute-api) and Cognito's token endpoint. No inline script, no framing: the page holds
 * a person's token, so an injected script must not run and the page must not be framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  `connect-src 'self' https://*.execute-api.${Aws.REGION}.amazonaws.com https://*.auth.${Aws.REGION}.amazoncognito.com`,
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** The search console (web/public): a private bucket behind CloudFront with origin access control. */
export class Console extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly bucket: s3.Bucket;
  /** The config.js uploaded beside the page (with the API URL as a deploy-time token); set by publish(). */
  configScript?: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogs ? 'console/' : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'Face search console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
          comment: 'Face search console: CSP and security headers',
          securityHeadersBehavior: {
            contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
            strictTransportSecurity: {
              accessControlMaxAge: Duration.days(365),
              includeSubdomains: true,
              override: true,
            },
            contentTypeOptions: { override: true },
            frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
            referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
          },
        }),
      },
      enableLogging: Boolean(props.accessLogs),
      logBucket: props.accessLogs,
      logFilePrefix: props.accessLogs ? 'cdn/' : undefined,
    });
  }

  /** The console's own origin, for the API's CORS settings. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /**
   * Uploads the page with a config.js naming the console's API and its sign-in; separate so the API and
   * the user pool can first allow this origin.
   */
  publish(apiBase: string, signIn: { url: string; clientId: string }): void {
    this.configScript = consoleConfigScript({ apiBase, apiKeyRequired: false, signIn });
    new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(join(REPO_ROOT, 'web/public'), { exclude: ['config.js'] }),
        // The page reads its API base from config.js; here it is the deployed API's URL.
        s3deploy.Source.data('config.js', this.configScript),
      ],
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.js', '/js/*', '/styles.css'],
      memoryLimit: 256,
      cacheControl: [s3deploy.CacheControl.maxAge(Duration.minutes(5))],
    });
  }
}
