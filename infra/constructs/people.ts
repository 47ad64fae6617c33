import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../../functions/core/roles';

export interface PeopleProps {
  /** The console's origin (https://...): where Cognito's sign-in page sends people back. */
  readonly consoleOrigin: string;
}

/**
 * The console's people: a Cognito user pool (no self sign-up; administrators invite), the groups
 * searcher, operator and administrator, MFA required, and a public app client for the console's
 * authorization-code sign-in with PKCE on Cognito's hosted pages. Cognito rather than an external OIDC
 * provider because it needs nothing outside the stack; API Gateway's Cognito authorizer checks its ID
 * tokens without a function of ours.
 */
export class People extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: PeopleProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const role of ROLES) {
      new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: GROUP_DESCRIPTIONS[role],
      });
    }
    // The stack id's UUID keeps the hosted-UI prefix unique per deployment without a lookup.
    const prefix = Fn.join('-', ['sophon', Fn.select(2, Fn.split('/', Aws.STACK_ID))]);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: prefix } });
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${props.consoleOrigin}/`],
        logoutUrls: [`${props.consoleOrigin}/`],
      },
      // Short-lived tokens in the browser; a refresh is a new sign-in through the hosted page.
      idTokenValidity: Duration.minutes(60),
      accessTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.hours(8),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
  }

  /** The hosted sign-in's base URL (https://<prefix>.auth.<region>.amazoncognito.com). */
  get signInUrl(): string {
    return this.domain.baseUrl();
  }
}

const GROUP_DESCRIPTIONS: Record<(typeof ROLES)[number], string> = {
  searcher: 'Search by image, detect, view stored images',
  operator: 'Ingest events',
  administrator: 'Erase events',
};
