export { registerApiframe } from './routes.js';
export { renderJob as renderApiframeJob, apiframeStatus } from './render.js';
