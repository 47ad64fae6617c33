// Where the console finds the API. Empty means the same origin (the local server serves both).
// The cloud deploy replaces this file with the API Gateway URL.
window.SOPHON_CONFIG = { apiBase: '' };
