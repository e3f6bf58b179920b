export type { BlobStore, BlobStat } from './types.js';
export { LocalBlobStore } from './local.js';
export { signedPath, expiryFor, checkSignature, type SignatureCheck } from './signing.js';
export { S3BlobStore, parseS3Url, type S3Settings } from './s3.js';
