import type middyType from '@middy/core' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const middy = (require('@middy/core') as { default: typeof middyType }).default;
