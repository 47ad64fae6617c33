import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ROUTE_ROLES, type Role } from '../../functions/core/roles';

export type ApiAuth = 'iam' | 'apiKey' | 'cognito';

export interface FaceApiProps {
  readonly search: lambda.IFunction;
  readonly detect: lambda.IFunction;
  readonly ingest: lambda.IFunction;
  readonly images: lambda.IFunction;
  /** The search jobs' routes (functions/jobs/lambdaHandler.ts). */
  readonly jobs: lambda.IFunction;
  /**
   * `iam` and `apiKey`: the machine clients' API. `cognito`: the console's people, each route checked
   * against the person's groups by the handler (functions/http/authorize.ts).
   */
  readonly auth: ApiAuth;
  /** With `cognito`: the user pool whose ID tokens the authorizer accepts. */
  readonly userPool?: cognito.IUserPool;
  readonly throttleRate: number;
  readonly throttleBurst: number;
  /** apiKey: each key's own throttle and daily quota (below the stage's). */
  readonly keyThrottle?: { rate: number; burst: number; quotaPerDay: number };
  /** iam: the only role that may erase (DELETE …/events/{id}); nobody else in the account can, whatever IAM says. */
  readonly eraser?: iam.IRole;
  /**
   * The search console's origin: allowed to call from a browser (preflight, and CORS headers on API
   * Gateway's own rejections); none means no CORS.
   */
  readonly consoleOrigin?: string;
}

/** A route, the function behind it and the group a person needs for it (functions/core/roles.ts). */
interface Route {
  method: string;
  path: string;
  fn: keyof Pick<FaceApiProps, 'search' | 'detect' | 'ingest' | 'images' | 'jobs'>;
}

export const ROUTES: Route[] = [
  { method: 'POST', path: '/sophon/v2/face/searchbyimage', fn: 'search' },
  { method: 'POST', path: '/sophon/v2/face/detect', fn: 'detect' },
  // Search jobs (docs/api.md): a search over a long window, authorised as the search is.
  { method: 'POST', path: '/sophon/v2/face/searchjobs', fn: 'jobs' },
  { method: 'GET', path: '/sophon/v2/face/searchjobs/{id}', fn: 'jobs' },
  { method: 'DELETE', path: '/sophon/v2/face/searchjobs/{id}', fn: 'jobs' },
  { method: 'POST', path: '/sophon/v2/face/events', fn: 'ingest' },
  { method: 'DELETE', path: '/sophon/v2/face/events/{id}', fn: 'images' },
  { method: 'GET', path: '/sophon/v2/face/images/{id}', fn: 'images' },
  // The OpenAPI description: served by the images function, the API's one reader.
  { method: 'GET', path: '/sophon/v2/openapi.json', fn: 'images' },
];

export const roleOf = (r: Pick<Route, 'method' | 'path'>): Role => ROUTE_ROLES[`${r.method} ${r.path}`];

/**
 * Machine keys (apiKey mode): each kind of client gets a key in a usage plan of its own, and the plan
 * blocks every route the client does not need (a method throttle of zero). Erasure has no key at all.
 */
export const KEY_PLANS: Record<string, { description: string; routes: string[] }> = {
  Ingest: {
    description: 'Cameras and capture systems: ingest only (and the API description)',
    routes: ['POST /sophon/v2/face/events', 'GET /sophon/v2/openapi.json'],
  },
  Search: {
    description: 'Integrations that search: search, detect, search jobs, stored images',
    routes: [
      'POST /sophon/v2/face/searchbyimage',
      'POST /sophon/v2/face/detect',
      'POST /sophon/v2/face/searchjobs',
      'GET /sophon/v2/face/searchjobs/{id}',
      'DELETE /sophon/v2/face/searchjobs/{id}',
      'GET /sophon/v2/face/images/{id}',
      'GET /sophon/v2/openapi.json',
    ],
  },
};

/**
 * API Gateway's own rejections, in the contract's error body so clients parse one shape. A message of
 * null keeps API Gateway's own (`$context.error.messageString`, already a JSON string).
 */
const GATEWAY_ERRORS: { type: apigw.ResponseType; status?: string; code: string; message: string | null }[] =
  [
    // A body over API Gateway's 10 MB cap is an image that is too large (contract: INVALID_ARGUMENTS).
    {
      type: apigw.ResponseType.REQUEST_TOO_LARGE,
      status: '400',
      code: 'INVALID_ARGUMENTS',
      message: 'face_image_base64',
    },
    // 429 is the contract's "another search is running"; rate limiting is a different story: retry later.
    { type: apigw.ResponseType.THROTTLED, status: '503', code: 'SERVICE_UNAVAILABLE', message: 'throttled' },
    { type: apigw.ResponseType.QUOTA_EXCEEDED, status: '503', code: 'SERVICE_UNAVAILABLE', message: 'quota' },
    // Keeps API Gateway's own 5xx status (502 bad integration response, 504 timeout); only the body changes.
    { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR', message: '' },
    // Every other 4xx of the gateway (a missing or wrong API key, an unsigned call, an unknown route) keeps
    // its status and names its type as the code, e.g. INVALID_API_KEY: the console tells them apart by it.
    { type: apigw.ResponseType.DEFAULT_4XX, code: '$context.error.responseType', message: null },
  ];

/**
 * Who did what to which path: the access log line of every request. The caller is the IAM principal
 * (SigV4), the API key id (apiKey) or the signed-in person's Cognito subject and user name (console).
 */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  resource: '$context.resourcePath',
  path: '$context.path',
  status: '$context.status',
  error: '$context.error.responseType',
  latencyMs: '$context.responseLatency',
  principal: '$context.identity.userArn',
  caller: '$context.identity.caller',
  apiKeyId: '$context.identity.apiKeyId',
  personSub: '$context.authorizer.claims.sub',
  personName: '$context.authorizer.claims.cognito:username',
  userAgent: '$context.identity.userAgent',
};

/**
 * The REST API: POST /sophon/v2/face/searchbyimage, POST /sophon/v2/face/detect, POST /sophon/v2/face/events,
 * DELETE /sophon/v2/face/events/{id}, GET /sophon/v2/face/images/{id}, and the search jobs (POST
 * /sophon/v2/face/searchjobs, GET and DELETE /sophon/v2/face/searchjobs/{id}). Stage throttling, JSON access
 * logs naming the caller, execution logs at ERROR level without request data (bodies hold face photos).
 */
export class FaceApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  /** apiKey mode: the machine keys, by plan name (KEY_PLANS). */
  readonly apiKeys: Record<string, apigw.IApiKey> = {};

  constructor(scope: Construct, id: string, props: FaceApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const { auth } = props;
    const authorizer =
      auth === 'cognito'
        ? new apigw.CognitoUserPoolsAuthorizer(this, 'People', {
            cognitoUserPools: [props.userPool!],
            identitySource: 'method.request.header.Authorization',
          })
        : undefined;

    this.api = new apigw.RestApi(this, 'Api', {
      description:
        auth === 'cognito' ? 'Sophon face search: the console (people)' : 'Sophon face search by image',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Images come back as binary; JSON stays text.
      binaryMediaTypes: ['image/*'],
      // One API Gateway account setting (logging role) per region: the machine API sets it, the console's
      // API uses it.
      cloudWatchRole: auth !== 'cognito',
      // The role is account-wide (API Gateway's logging role for every API of the region): deleting this
      // stack must not take it from the others.
      cloudWatchRoleRemovalPolicy: auth !== 'cognito' ? RemovalPolicy.RETAIN : undefined,
      policy: auth === 'iam' ? this.iamResourcePolicy(props.eraser) : undefined,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttleRate,
        throttlingBurstLimit: props.throttleBurst,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request/response logging would write face photos into CloudWatch.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
      defaultMethodOptions: {
        authorizationType:
          auth === 'iam'
            ? apigw.AuthorizationType.IAM
            : auth === 'cognito'
              ? apigw.AuthorizationType.COGNITO
              : apigw.AuthorizationType.NONE,
        authorizer,
        apiKeyRequired: auth === 'apiKey',
      },
      // What the console sends, and nothing more: it searches, detects, loads images, runs and stops jobs.
      defaultCorsPreflightOptions: props.consoleOrigin
        ? {
            allowOrigins: [props.consoleOrigin],
            allowMethods: ['GET', 'POST', 'DELETE'],
            allowHeaders: ['Content-Type', 'Authorization'],
          }
        : undefined,
    });

    // Checks the path parameters exist; body rules (415 vs 400, which key) are the contract's, in the handler.
    const validator = this.api.addRequestValidator('Params', { validateRequestParameters: true });
    const methods: Record<string, apigw.Method> = {};
    for (const r of ROUTES) {
      const resource = this.api.root.resourceForPath(r.path);
      const hasId = r.path.endsWith('{id}');
      methods[`${r.method} ${r.path}`] = resource.addMethod(
        r.method,
        new apigw.LambdaIntegration(props[r.fn], { proxy: true }),
        {
          requestValidator: validator,
          requestParameters: hasId ? { 'method.request.path.id': true } : undefined,
        },
      );
    }

    // A browser shows a script nothing of an answer without the allow header, errors included: a
    // refused token or a throttle must read as such in the console, not as "cannot reach the service".
    const cors = props.consoleOrigin
      ? { 'Access-Control-Allow-Origin': `'${props.consoleOrigin}'`, Vary: "'Origin'" }
      : undefined;
    for (const e of GATEWAY_ERRORS) {
      const message = e.message === null ? '$context.error.messageString' : JSON.stringify(e.message);
      this.api.addGatewayResponse(`Gateway${e.type.responseType}`, {
        type: e.type,
        statusCode: e.status,
        responseHeaders: cors,
        templates: {
          'application/json': `{"error":{"code":${JSON.stringify(e.code)},"message":${message}}}`,
        },
      });
    }

    if (auth === 'apiKey') {
      const keyThrottle = props.keyThrottle ?? { rate: 10, burst: 20, quotaPerDay: 50_000 };
      for (const [name, plan] of Object.entries(KEY_PLANS)) {
        const usagePlan = this.api.addUsagePlan(`${name}Plan`, {
          description: plan.description,
          throttle: { rateLimit: keyThrottle.rate, burstLimit: keyThrottle.burst },
          quota: { limit: keyThrottle.quotaPerDay, period: apigw.Period.DAY },
        });
        usagePlan.addApiStage({
          stage: this.api.deploymentStage,
          // A method throttle of zero lets no request of this plan's keys through that method.
          throttle: Object.entries(methods)
            .filter(([route]) => !plan.routes.includes(route))
            .map(([, method]) => ({ method, throttle: { rateLimit: 0, burstLimit: 0 } })),
        });
        const key = this.api.addApiKey(`${name}Key`, { description: plan.description });
        usagePlan.addApiKey(key);
        this.apiKeys[name] = key;
      }
    }
  }

  /** Associates a regional WAFv2 web ACL with the stage. */
  protectWith(webAclArn: string): void {
    new wafv2.CfnWebACLAssociation(this, 'Waf', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn,
    });
  }

  /**
   * IAM mode: only this account's principals may invoke (IAM policies then say who), and only the eraser
   * role may erase, whatever an IAM policy in the account grants (cancelling a search job, the other
   * DELETE, is a searcher's).
   */
  private iamResourcePolicy(eraser?: iam.IRole): iam.PolicyDocument {
    const statements = [
      new iam.PolicyStatement({
        sid: 'ThisAccountOnly',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
    ];
    if (eraser) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'OnlyTheEraserErases',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*/DELETE/sophon/v2/face/events/*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': eraser.roleArn } },
        }),
      );
    }
    return new iam.PolicyDocument({ statements });
  }
}
