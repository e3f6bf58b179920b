export { registerApiInOne } from './routes.js';
export { apiInOneError, renderTask } from './render.js';
