/**
 * The search console's `config.js`: where its API is, and whether calls need an API key. The stack
 * writes it beside the page at deploy time (infra/constructs/console.ts); the local server serves it
 * when LOCAL_API_KEY is set. `web/public/config.js` is the same-origin, no-key default.
 */
export interface ConsoleConfig {
  /** The API's base URL; '' means the page's own origin. */
  apiBase: string;
  /** The page asks for a key once per browser tab and sends it as `x-api-key`. */
  apiKeyRequired: boolean;
}

/** @example consoleConfigScript({ apiBase: '', apiKeyRequired: true }) */
export function consoleConfigScript(c: ConsoleConfig): string {
  return (
    '// Written by the deployment: where the console finds the API, and whether it needs a key.\n' +
    `window.SOPHON_CONFIG = ${JSON.stringify({ apiBase: c.apiBase, apiKeyRequired: c.apiKeyRequired })};\n`
  );
}
