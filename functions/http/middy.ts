import type middyType from '@middy/core' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const middy: typeof middyType = require('@middy/core').default;
