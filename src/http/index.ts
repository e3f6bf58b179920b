export { buildApp, registeredRoutes } from './app.js';
export type { AppDeps } from './context.js';
export { parseRange } from './files.js';
