/**
 * The search console's `config.js`: where its API is, and whether calls need an API key. The stack
 * writes it beside the page at deploy time (infra/constructs/console.ts); the local server serves it
 * when LOCAL_API_KEY is set. `web/public/config.js` is the same-origin, no-key default.
 */
export interface ConsoleConfig {
  /** The API's base URL; '' means the page's own origin. */
  apiBase: string;
  /** The page asks for a key once per browser tab and sends it as `x-api-key` (the local server's key). */
  apiKeyRequired: boolean;
  /**
   * The cloud console: people sign in on Cognito's hosted page (authorization code with PKCE) and the
   * page sends their ID token as `Authorization`. `url` is the hosted UI's base, `clientId` the app client.
   */
  signIn?: { url: string; clientId: string };
}

/** @example consoleConfigScript({ apiBase: '', apiKeyRequired: true }) */
export function consoleConfigScript(c: ConsoleConfig): string {
  return (
    '// Written by the deployment: where the console finds the API, and how it signs in (a key or a person).\n' +
    `window.SOPHON_CONFIG = ${JSON.stringify({ apiBase: c.apiBase, apiKeyRequired: c.apiKeyRequired, ...(c.signIn ? { signIn: c.signIn } : {}) })};\n`
  );
}
