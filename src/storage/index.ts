export type { BlobStore, BlobStat } from './types.js';
export { LocalBlobStore } from './local.js';
export { signedPath, expiryFor, checkSignature, type SignatureCheck } from './signing.js';
export type { S3BlobStore, S3Settings } from './s3.js';
import type { BlobStore } from './types.js';
import type { S3Settings } from './s3.js';

/**
 * The S3 store, loaded on first use: the AWS SDK costs ~12 MB of RSS and start-up time that an
 * install on local files never needs (issue 13, memory at idle).
 *
 * @example
 * const blobs = await openS3BlobStore({ url: 's3://bucket/prefix', region: 'us-east-1' });
 */
export async function openS3BlobStore(settings: S3Settings): Promise<BlobStore> {
  const { S3BlobStore } = await import('./s3.js');
  return new S3BlobStore(settings);
}
