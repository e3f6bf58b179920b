export { registerWavespeed } from './routes.js';
export { wavespeedError, renderPrediction } from './render.js';
export { variantIdFor, VARIANTS } from './variants.js';
