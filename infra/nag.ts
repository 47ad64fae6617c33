import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { UPLOAD_PREFIX } from '../functions/store/keys';
import { FUNCTION_STORE_USES, objectPatterns } from './constructs/storeAccess';
import { ROUTES } from './constructs/api';
import type { Settings } from './settings';

/**
 * Every cdk-nag AwsSolutions finding this stack keeps, each with the reason it is acceptable. Anything
 * not listed here fails the synth. Acknowledgements name a construct path, never the whole stack, so a
 * new resource with the same problem is still reported.
 */
interface Acknowledgement {
  /** Construct path below the stack; a trailing `*` matches CDK singletons with generated suffixes. */
  readonly path: string;
  readonly rules: string[];
  readonly reason: string;
}

const BASIC_EXECUTION =
  'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const objects = (pattern: string) => `IAM5[Resource::<StorageImagesCFC0E004.Arn>/${pattern}]`;
const FUNCTIONS = ['Search', 'Detect', 'Ingest', 'IngestS3', 'Images', 'Jobs'];
/** The object-key patterns a function's role names: its store rows (infra/constructs/storeAccess.ts). */
const objectsOf = (fn: keyof typeof FUNCTION_STORE_USES) =>
  objectPatterns(FUNCTION_STORE_USES[fn]).map(objects);
const OBJECT_PATTERNS: Record<string, string[]> = {
  Search: objectsOf('search'),
  Detect: objectsOf('detect'),
  Ingest: objectsOf('ingest'),
  IngestS3: objectsOf('ingestS3'),
  Images: objectsOf('images'),
  Jobs: objectsOf('jobs'),
};
/** Only these read face_image_path from anywhere in the bucket or an allow-listed bucket. */
const QUERY_READERS = ['Search', 'Detect', 'Jobs'];

export function acknowledgements(settings: Settings): Acknowledgement[] {
  const allowed = settings.allowedBuckets
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => `IAM5[Resource::arn:<AWS::Partition>:s3:::${b}/*]`);
  const apis = ['Api', ...(settings.console && settings.profile === 'aws' ? ['ConsoleApi'] : [])];
  const list: Acknowledgement[] = [
    ...apis.map((a) => ({
      path: `${a}/Api/Resource`,
      rules: ['APIG2'],
      reason:
        'Path parameters are validated by API Gateway. Body validation is not: the contract fixes the status ' +
        'and code of every malformed body (415 UNSUPPORT_CONTENT_TYPE, 400 MISSING/INVALID_ARGUMENTS naming ' +
        'the key), which API Gateway models cannot express; the handler validates with zod.',
    })),
    ...FUNCTIONS.map((f) => ({
      path: `Functions/${f}/Resource`,
      rules: ['L1'],
      reason:
        'nodejs22.x is the runtime the team builds and tests for (team decision; onnxruntime-node and sharp ' +
        'binaries are verified on it). Moving to nodejs24.x is a tested upgrade, not a flag flip.',
    })),
    ...FUNCTIONS.map((f) => ({
      path: `Functions/${f}Role/DefaultPolicy/Resource`,
      rules: [...OBJECT_PATTERNS[f], ...(QUERY_READERS.includes(f) ? allowed : [])],
      reason:
        'Object-level S3 actions need an object ARN pattern. Writes and deletes are limited to the prefix ' +
        'they belong to (images/, incoming/, erasures/); ingest reads only incoming/ (its uploads), search ' +
        'the segments/ of settled hours; reads ' +
        'of the whole bucket are only for the query photo of search and detect (face_image_path), which ' +
        'the contract lets name any key of the service bucket or of an allow-listed bucket (read only). ' +
        'Actions are listed one by one (no s3:*). DynamoDB statements carry dynamodb:LeadingKeys conditions.',
    })),
    {
      path: 'Functions/JobsRole/DefaultPolicy/Resource',
      rules: [
        'IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<SearchJobsStateMachineA7AB0A20.Name>:*]',
      ],
      reason:
        'A cancel stops the execution of its job (named by the job id): the executions of the jobs state ' +
        'machine, and no other, by its own name.',
    },
    {
      path: 'SearchJobs/Piece/Resource',
      rules: ['L1'],
      reason: 'nodejs22.x, the runtime the team builds and tests for, as for the other functions.',
    },
    {
      path: 'SearchJobs/PieceRole/DefaultPolicy/Resource',
      rules: objectsOf('jobPiece'),
      reason:
        'Object-level S3 actions need an object ARN pattern: a piece reads the segments/ of settled hours ' +
        'and writes its own result under jobs/ only. DynamoDB statements carry dynamodb:LeadingKeys conditions.',
    },
    {
      path: 'SearchJobs/StateMachine/Role/DefaultPolicy/Resource',
      rules: ['IAM5[Resource::<SearchJobsPieceB6084066.Arn>:*]', 'IAM5[Resource::*]'],
      reason:
        'CDK grants the state machine the piece function and its versions (the function, nothing else), ' +
        'and X-Ray tracing plus log delivery, whose actions AWS defines on no resource but *.',
    },
    {
      path: 'SearchJobs/StateMachine/DistributedMapPolicy/Resource',
      rules: [
        'IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"SearchJobsStateMachineA7AB0A20"}]}]}:*]',
        'IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"SearchJobsStateMachineA7AB0A20"}]}]}/*:*]',
      ],
      reason:
        'A Distributed Map runs its items as child executions of its own state machine: CDK scopes these ' +
        "statements to that state machine's executions.",
    },
    {
      path: 'Compactor/Function/Resource',
      rules: ['L1'],
      reason:
        'nodejs22.x is the runtime the team builds and tests for (team decision). Moving to nodejs24.x is a ' +
        'tested upgrade, not a flag flip.',
    },
    {
      path: 'Compactor/Role/DefaultPolicy/Resource',
      rules: objectsOf('compactor'),
      reason:
        'Object-level S3 actions need an object ARN pattern: the compactor writes and removes only the ' +
        'history segments under segments/ (listing is conditioned on that prefix too).',
    },
    {
      path: 'Api/Api/CloudWatchRole/Resource',
      rules: [
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      ],
      reason:
        'The account-level role API Gateway needs to write execution and access logs; AWS documents this ' +
        'managed policy as the way to grant it.',
    },
    {
      path: 'Functions/IngestFailures/Resource',
      rules: ['SQS3'],
      reason: 'This queue is itself the dead-letter destination of the S3 ingest function.',
    },
    {
      path: 'BucketNotificationsHandler*/Role/Resource',
      rules: [BASIC_EXECUTION],
      reason:
        "CDK's deploy-time custom resource that sets the bucket notification; it runs only during deploys.",
    },
  ];
  if (settings.profile === 'aws') {
    list.push({
      path: 'Storage/Uploader/DefaultPolicy/Resource',
      rules: [objects(`${UPLOAD_PREFIX}*`)],
      reason:
        'Cameras upload photos under incoming/ with any file name: an object ARN pattern of that prefix, ' +
        'PutObject only; the bucket policy denies this role every other key and every read.',
    });
  }
  if (settings.profile !== 'local') {
    // The scheduled reconcile (infra/constructs/reconcileSchedule.ts).
    list.push(
      {
        path: 'Reconcile/Function/Resource',
        rules: ['L1'],
        reason: 'nodejs22.x, the runtime the team builds and tests for, as for the other functions.',
      },
      {
        path: 'Reconcile/Role/DefaultPolicy/Resource',
        rules: objectsOf('reconcile'),
        reason:
          'Reconcile reads (HeadObject) and deletes orphan images: object actions need an object ARN pattern, ' +
          'limited to the images/ prefix; its listing is limited to that prefix by condition.',
      },
    );
  }
  if (settings.profile === 'local') {
    list.push({
      path: 'Storage/Images/Resource',
      rules: ['S1'],
      reason:
        'LocalStack on the appliance: S3 server access logs are not delivered by LocalStack, and the ' +
        "appliance's disk is better spent on images.",
    });
  }
  if (!settings.wafAclArn && !settings.waf) {
    list.push(
      ...apis.map((a) => ({
        path: `${a}/Api/DeploymentStage.v1/Resource`,
        rules: ['APIG3'],
        reason:
          'Every call is authenticated (SigV4, a narrow API key or a Cognito token), the stage and each key ' +
          'are throttled, and the functions have reserved concurrency; the WAF is an option: -c waf=true ' +
          "(the stack's rate-based ACL) or -c wafAclArn=<arn> (the platform team's).",
      })),
    );
  }
  // Every route of the API (infra/constructs/api.ts): a route added there is acknowledged here.
  const methods = ROUTES.map((r) => `${r.path.slice(1)}/${r.method}`);
  list.push(
    ...methods.map((m) => ({
      path: `Api/Api/Default/${m}/Resource`,
      rules: settings.apiAuth === 'iam' ? ['COG4'] : ['COG4', 'APIG4'],
      reason:
        settings.apiAuth === 'iam'
          ? 'Authorized with IAM (SigV4): the callers are services and operators with AWS credentials, not ' +
            'end users with a Cognito pool.'
          : 'API-key mode (-c apiAuth=apiKey) was chosen explicitly: every method requires a key of the usage ' +
            'plan, which meters and throttles each client.',
    })),
  );
  if (settings.console && settings.profile === 'aws') {
    // Every resource of the routes and its parents, root included: each has its preflight.
    const resourcesOf = (path: string) =>
      path
        .slice(1)
        .split('/')
        .map((_, i, parts) => `${parts.slice(0, i).join('/')}${i > 0 ? '/' : ''}`)
        .concat(`${path.slice(1)}/`);
    for (const m of new Set(ROUTES.flatMap((r) => resourcesOf(r.path)))) {
      list.push({
        path: `ConsoleApi/Api/Default/${m}OPTIONS/Resource`,
        rules: ['APIG4', 'COG4'],
        reason: 'CORS preflight for the console: browsers send OPTIONS without credentials by design.',
      });
    }
    list.push(
      {
        path: 'Console/Cdn/Resource',
        rules: ['CFR1', 'CFR2', 'CFR4'],
        reason:
          'Static console pages only (no data; every API call is authorized separately). No geo restriction ' +
          'is wanted, a WAF is optional for static files, and the default CloudFront certificate is used ' +
          'until the platform team attaches a domain with its own certificate and TLS policy.',
      },
      {
        path: 'Custom::CDKBucketDeployment*/ServiceRole/Resource',
        rules: [BASIC_EXECUTION],
        reason: "CDK's deploy-time function that copies the console files; it runs only during deploys.",
      },
      {
        path: 'Custom::CDKBucketDeployment*/Resource',
        rules: ['L1'],
        reason: "CDK's deploy-time function; its runtime is chosen and updated by aws-cdk-lib.",
      },
      {
        path: 'Custom::CDKBucketDeployment*/ServiceRole/DefaultPolicy/Resource',
        rules: [
          'IAM5[Action::s3:GetObject*]',
          'IAM5[Action::s3:GetBucket*]',
          'IAM5[Action::s3:List*]',
          'IAM5[Action::s3:DeleteObject*]',
          'IAM5[Action::s3:Abort*]',
          'IAM5[Resource::<ConsoleSite26539DB4.Arn>/*]',
          'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
          'IAM5[Resource::*]',
        ],
        reason:
          "CDK's deploy-time copy of the console files from the CDK asset bucket into the console bucket " +
          '(and the CloudFront invalidation, which has no resource-level permissions). Generated by ' +
          'aws-cdk-lib; it runs only during deploys.',
      },
    );
  }
  return list;
}

function find(stack: Stack, path: string): IConstruct[] {
  const parts = path.split('/');
  let level: IConstruct[] = [stack];
  for (const part of parts) {
    const next: IConstruct[] = [];
    for (const c of level) {
      for (const child of c.node.children) {
        const id = child.node.id;
        if (part.endsWith('*') ? id.startsWith(part.slice(0, -1)) : id === part) next.push(child);
      }
    }
    level = next;
  }
  return level;
}

/** Records each acknowledgement on its construct; a path that matches nothing is a bug in this list. */
export function applyNagSuppressions(stack: Stack, settings: Settings): void {
  for (const a of acknowledgements(settings)) {
    const targets = find(stack, a.path);
    if (targets.length === 0) throw new Error(`cdk-nag acknowledgement for a missing construct: ${a.path}`);
    for (const t of targets) {
      for (const rule of a.rules) {
        Validations.of(t).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason: a.reason });
      }
    }
  }
}
