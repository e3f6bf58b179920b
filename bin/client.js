// `import { Reelay } from 'reelay/client'` without a build step: load the TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
const client = await import('../src/client/index.ts');
export const { Reelay, ReelayError, JobFailedError, FINAL, followJobEvents, SseParser, StreamUnavailableError } = client;
