// Where the console finds the API, and whether calls need an API key. Empty means the same origin (the
// local server serves both). The cloud deploy (and the local server with LOCAL_API_KEY) replaces this
// file: functions/shared/consoleConfig.ts.
window.SOPHON_CONFIG = { apiBase: '', apiKeyRequired: false };
