import { Aws, Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RETENTION_TAG, retentionTagValues } from '../../functions/core/retention';
import { ERASURE_PREFIX, IMAGE_PREFIX, JOB_PREFIX, UPLOAD_PREFIX } from '../../functions/store/keys';

/** Days a search job and its results are kept in AWS (the jobs function's JOB_TTL_HOURS, the `jobs/` rule). */
export const JOB_RESULT_DAYS = 1;

export interface StorageProps {
  /** Days an event (and its images) is kept; DynamoDB TTL and the S3 lifecycle both enforce it. */
  readonly retentionDays: number;
  /** Days of point-in-time recovery of the table. */
  readonly recoveryDays: number;
  /**
   * LocalStack on the appliance: no access-log bucket (it would only fill the appliance's disk), and no
   * customer-managed key or resource policies (LocalStack community enforces neither; docs/deploy.md).
   */
  readonly local: boolean;
}

/** Object-level S3 actions that read, change or remove data; the bucket policy keeps them to trusted roles. */
const OBJECT_DATA_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:GetObjectTagging',
  's3:PutObject',
  's3:PutObjectTagging',
  's3:PutObjectAcl',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:RestoreObject',
];
/** DynamoDB actions on items (and exports of them); the table policy keeps them to trusted roles. */
const TABLE_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:ExportTableToPointInTime',
  'dynamodb:RestoreTableToPointInTime',
  'dynamodb:CreateBackup',
];

/**
 * The event table (time-bucket partitions, search leases in the same table) and the image bucket
 * (face crops, scene images, `incoming/` uploads that trigger ingest, `erasures/` the erased ids). In the
 * cloud both are encrypted with a customer-managed key (rotated yearly) that only the roles given to
 * `trust()` (the functions), the data administrator and, for writing uploads only, the uploader role may
 * use; resource policies on the table and the bucket deny every other principal the data.
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly images: s3.Bucket;
  readonly accessLogs?: s3.Bucket;
  /** The customer-managed key of the table and the image bucket (cloud only). */
  readonly key?: kms.Key;
  /** Break-glass and restore role: the one person-held role that may use the key and the data (cloud only). */
  readonly dataAdmin?: iam.Role;
  /** What cameras assume to upload under incoming/ (cloud only): put there, nothing else. */
  readonly uploader?: iam.Role;
  private readonly trusted: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { local } = props;

    if (!local) {
      this.dataAdmin = new iam.Role(this, 'DataAdmin', {
        assumedBy: new iam.AccountRootPrincipal().withConditions({
          Bool: { 'aws:MultiFactorAuthPresent': 'true' },
        }),
        description: 'Face data administrator: restores, decommissioning, break-glass reads (MFA)',
        maxSessionDuration: Duration.hours(1),
      });
      this.uploader = new iam.Role(this, 'Uploader', {
        assumedBy: new iam.AccountRootPrincipal(),
        description: 'Cameras: put photos under incoming/ of the image bucket, nothing else',
      });
      this.trusted.push(this.dataAdmin);
      this.key = new kms.Key(this, 'DataKey', {
        description: 'Face search: events table and image bucket',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
        pendingWindow: Duration.days(7),
        policy: this.keyPolicy(),
      });
    }

    this.table = new dynamodb.Table(this, 'Events', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: props.recoveryDays,
      },
      encryption: this.key ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: !local,
      removalPolicy: local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      resourcePolicy: local
        ? undefined
        : new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                sid: 'OnlyTrustedRolesReadOrWriteItems',
                effect: iam.Effect.DENY,
                principals: [new iam.AnyPrincipal()],
                actions: TABLE_DATA_ACTIONS,
                // The table's own ARN cannot appear in its policy while it is created.
                resources: ['*'],
                conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.trustedArns() } },
              }),
            ],
          }),
    });

    if (!local) {
      this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        // S3 server access logs can only be delivered to an SSE-S3 bucket; they hold keys, not images.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ expiration: Duration.days(365) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    this.images = new s3.Bucket(this, 'Images', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: this.key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: this.key,
      bucketKeyEnabled: Boolean(this.key),
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: this.accessLogs ? 'images/' : undefined,
      lifecycleRules: [
        // Every image expires with the retention at the latest.
        { id: 'retention', prefix: IMAGE_PREFIX, expiration: Duration.days(props.retentionDays) },
        // And no later than its event: ingest tags each image with the whole days its event has left
        // (functions/core/retention.ts), so a backdated event's images go when it goes.
        ...retentionTagValues(props.retentionDays).map((days) => ({
          id: `retention-tag-${days}`,
          prefix: IMAGE_PREFIX,
          tagFilters: { [RETENTION_TAG]: String(days) },
          expiration: Duration.days(days),
        })),
        // An upload that ingest never processed is not worth keeping past a day.
        { id: 'incoming', prefix: UPLOAD_PREFIX, expiration: Duration.days(1) },
        // A search job's results (functions/jobs/jobStore.ts): readers refuse them once the job's TTL
        // has passed (JOB_TTL_HOURS, set from this in searchJobs.ts); S3 removes them after as long.
        { id: 'jobs', prefix: JOB_PREFIX, expiration: Duration.days(JOB_RESULT_DAYS) },
        // Erased ids outlive any event a restore could bring back: every such event has expired by then.
        { id: 'erasures', prefix: ERASURE_PREFIX, expiration: Duration.days(props.retentionDays + 2) },
        { id: 'multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    if (!local) this.restrictBucket();
  }

  /**
   * Lets a function's role use the key and pass the table's and the bucket's resource policies (its own
   * IAM policy still says which actions on which keys). Roles added after the stack's constructors ran
   * are included: the policies read this list at synth time.
   */
  trust(role: iam.IRole): void {
    this.trusted.push(role);
  }

  private trustedArns(): string[] {
    return Lazy.list({ produce: () => this.trusted.map((r) => r.roleArn) });
  }

  private keyPolicy(): iam.PolicyDocument {
    const account = new iam.AccountRootPrincipal();
    const via = (service: string) => ({ 'kms:ViaService': `${service}.${Aws.REGION}.amazonaws.com` });
    return new iam.PolicyDocument({
      statements: [
        // The account manages the key (and so can always recover it) but cannot use it: IAM policies
        // alone give nobody the data, however broad.
        new iam.PolicyStatement({
          sid: 'AccountAdministersNotUses',
          principals: [account],
          actions: [
            'kms:Create*',
            'kms:Describe*',
            'kms:Enable*',
            'kms:List*',
            'kms:Put*',
            'kms:Update*',
            'kms:Revoke*',
            'kms:Disable*',
            'kms:Get*',
            'kms:Delete*',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
            'kms:RotateKeyOnDemand',
          ],
          resources: ['*'],
        }),
        // The functions and the data administrator: through DynamoDB and S3 only.
        new iam.PolicyStatement({
          sid: 'TrustedRolesUseThroughDynamoDbAndS3',
          principals: [new iam.AnyPrincipal()],
          actions: [
            'kms:Decrypt',
            'kms:Encrypt',
            'kms:GenerateDataKey*',
            'kms:ReEncrypt*',
            'kms:DescribeKey',
          ],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': this.trustedArns() },
            StringEquals: {
              'kms:CallerAccount': Aws.ACCOUNT_ID,
              'kms:ViaService': [via('dynamodb')['kms:ViaService'], via('s3')['kms:ViaService']],
            },
          },
        }),
        // DynamoDB holds the table's key through a grant; whoever deploys (CloudFormation) creates it.
        new iam.PolicyStatement({
          sid: 'DynamoDbGrantForTheTable',
          principals: [account],
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: {
            StringEquals: via('dynamodb'),
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        }),
        // Cameras write uploads (S3 asks for a data key); reading is denied by the bucket policy.
        new iam.PolicyStatement({
          sid: 'UploaderEncryptsThroughS3',
          principals: [new iam.ArnPrincipal(this.uploader!.roleArn)],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: via('s3') },
        }),
      ],
    });
  }

  /** Object data only for trusted roles (uploads under incoming/ also for the uploader), KMS with our key. */
  private restrictBucket(): void {
    const b = this.images;
    const writers = Lazy.list({
      produce: () => [...this.trusted.map((r) => r.roleArn), this.uploader!.roleArn],
    });
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTrustedRolesTouchObjects',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...OBJECT_DATA_ACTIONS.filter((a) => a !== 's3:PutObject'), 's3:ListBucket'],
        resources: [b.bucketArn, b.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.trustedArns() } },
      }),
    );
    // Each deny is its own statement, named by its sid, so a security review reads each rule whole.
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTrustedRolesAndUploaderPut',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [b.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writers } },
      }),
    );
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UploaderOnlyUnderIncoming',
        effect: iam.Effect.DENY,
        principals: [new iam.ArnPrincipal(this.uploader!.roleArn)],
        actions: ['s3:PutObject'],
        resources: [b.arnForObjects(IMAGE_PREFIX + '*'), b.arnForObjects(ERASURE_PREFIX + '*')],
      }),
    );
    // No object under another key or SSE-S3: what is written is readable only through our key.
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyOurKey',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [b.arnForObjects('*')],
        conditions: {
          StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key!.keyArn },
        },
      }),
    );
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyKms',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [b.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    this.uploader!.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [b.arnForObjects(UPLOAD_PREFIX + '*')],
      }),
    );
  }
}
