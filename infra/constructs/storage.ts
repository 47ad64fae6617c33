import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { UPLOAD_PREFIX } from '../../functions/store/keys';

export interface StorageProps {
  /** Days an event (and its images) is kept; DynamoDB TTL and the S3 lifecycle both enforce it. */
  readonly retentionDays: number;
  /** LocalStack on the appliance: no access-log bucket (it would only fill the appliance's disk). */
  readonly local: boolean;
}

/**
 * The event table (time-bucket partitions, search leases in the same table) and the image bucket
 * (face crops, scene images, `incoming/` uploads that trigger ingest).
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly images: s3.Bucket;
  readonly accessLogs?: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Events', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: !props.local,
      removalPolicy: props.local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    if (!props.local) {
      this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ expiration: Duration.days(365) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    this.images = new s3.Bucket(this, 'Images', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: this.accessLogs ? 'images/' : undefined,
      lifecycleRules: [
        // Images live exactly as long as the events that point at them.
        { id: 'retention', expiration: Duration.days(props.retentionDays) },
        // An upload that ingest never processed is not worth keeping past a day.
        { id: 'incoming', prefix: UPLOAD_PREFIX, expiration: Duration.days(1) },
        { id: 'multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
  }
}
