import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface FaceApiProps {
  readonly search: lambda.IFunction;
  readonly detect: lambda.IFunction;
  readonly ingest: lambda.IFunction;
  readonly images: lambda.IFunction;
  readonly auth: 'iam' | 'apiKey';
  readonly throttleRate: number;
  readonly throttleBurst: number;
  /**
   * The search console's origin: allowed to call from a browser (preflight, and CORS headers on API
   * Gateway's own rejections); none means no CORS. With it, in API-key mode, the console gets a key of
   * its own.
   */
  readonly consoleOrigin?: string;
  /** A regional WAFv2 web ACL to attach to the stage. */
  readonly wafAclArn?: string;
}

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
 * The REST API: POST /sophon/v2/face/searchbyimage, POST /sophon/v2/face/detect, POST /sophon/v2/face/events,
 * DELETE /sophon/v2/face/events/{id}, GET /sophon/v2/face/images/{id}. IAM (SigV4) authorization by
 * default; optionally API keys metered by a usage plan. Stage throttling, JSON access logs, execution
 * logs at ERROR level without request data (bodies hold face photos).
 */
export class FaceApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly apiKey?: apigw.IApiKey;
  /** API-key mode with the console: the key its users type in, apart from machine clients' keys. */
  readonly consoleKey?: apigw.IApiKey;

  constructor(scope: Construct, id: string, props: FaceApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const iamAuth = props.auth === 'iam';

    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Sophon face search by image',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Images come back as binary; JSON stays text.
      binaryMediaTypes: ['image/*'],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttleRate,
        throttlingBurstLimit: props.throttleBurst,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request/response logging would write face photos into CloudWatch.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
      defaultMethodOptions: {
        authorizationType: iamAuth ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
        apiKeyRequired: !iamAuth,
      },
      // What the console sends, and nothing more: it searches, detects and loads images (no DELETE).
      defaultCorsPreflightOptions: props.consoleOrigin
        ? {
            allowOrigins: [props.consoleOrigin],
            allowMethods: ['GET', 'POST'],
            allowHeaders: ['Content-Type', 'X-Api-Key'],
          }
        : undefined,
    });

    // Checks the path parameters exist; body rules (415 vs 400, which key) are the contract's, in the handler.
    const validator = this.api.addRequestValidator('Params', { validateRequestParameters: true });
    const v2 = this.api.root.addResource('sophon').addResource('v2');
    const face = v2.addResource('face');
    const integrate = (f: lambda.IFunction) => new apigw.LambdaIntegration(f, { proxy: true });

    face
      .addResource('searchbyimage')
      .addMethod('POST', integrate(props.search), { requestValidator: validator });
    face.addResource('detect').addMethod('POST', integrate(props.detect), { requestValidator: validator });
    const events = face.addResource('events');
    events.addMethod('POST', integrate(props.ingest), { requestValidator: validator });
    events.addResource('{id}').addMethod('DELETE', integrate(props.images), {
      requestValidator: validator,
      requestParameters: { 'method.request.path.id': true },
    });
    // The OpenAPI description: served by the images function, the API's one reader.
    v2.addResource('openapi.json').addMethod('GET', integrate(props.images));
    face
      .addResource('images')
      .addResource('{id}')
      .addMethod('GET', integrate(props.images), {
        requestValidator: validator,
        requestParameters: { 'method.request.path.id': true },
      });

    // A browser shows a script nothing of an answer without the allow header, errors included: a
    // missing key or a throttle must read as such in the console, not as "cannot reach the service".
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

    if (props.wafAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'Waf', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.wafAclArn,
      });
    }

    if (!iamAuth) {
      const plan = this.api.addUsagePlan('UsagePlan', {
        description: 'Face search clients',
        throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      });
      plan.addApiStage({ stage: this.api.deploymentStage });
      this.apiKey = this.api.addApiKey('ClientKey', { description: 'First client key; add more per client' });
      plan.addApiKey(this.apiKey);
      if (props.consoleOrigin) {
        // Revoked or rotated without touching machine clients; people type it into the console once.
        this.consoleKey = this.api.addApiKey('ConsoleKey', { description: 'Search console users' });
        plan.addApiKey(this.consoleKey);
      }
    }
  }
}
