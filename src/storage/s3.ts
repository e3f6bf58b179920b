import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobStat, BlobStore } from './types.js';

export interface S3Settings {
  /** `s3://bucket/optional/prefix` */
  url: string;
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

/** `s3://bucket/a/b` → bucket and a prefix ending in `/` (or empty). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m?.[1]) throw new Error(`REELAY_STORAGE must look like s3://bucket/prefix, got "${url}"`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

/**
 * Blob store on any S3-compatible service. Uploads stream in parts (never the whole file in
 * memory); reads are ranged GETs, so our `/files` route can keep serving Range requests with the
 * same signed-URL semantics as local files (we proxy rather than hand out presigned URLs, so
 * links look and expire the same in both shapes and the bucket can stay private).
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(settings: S3Settings) {
    const { bucket, prefix } = parseS3Url(settings.url);
    this.bucket = bucket;
    this.prefix = prefix;
    const config: S3ClientConfig = { region: settings.region, forcePathStyle: settings.forcePathStyle };
    if (settings.endpoint) config.endpoint = settings.endpoint;
    if (settings.accessKeyId && settings.secretAccessKey) {
      config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    }
    this.s3 = new S3Client(config);
  }

  private k(key: string): string {
    if (key.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid blob key: ${key}`);
    return this.prefix + key;
  }

  localPath(): null {
    return null;
  }

  async putStream(key: string, body: Readable, contentType: string): Promise<BlobStat> {
    const up = new Upload({ client: this.s3, params: { Bucket: this.bucket, Key: this.k(key), Body: body, ContentType: contentType } });
    await up.done();
    const s = await this.stat(key);
    if (!s) throw new Error(`upload of ${key} did not land`);
    return s;
  }

  putFile(key: string, localPath: string, contentType: string): Promise<BlobStat> {
    return this.putStream(key, createReadStream(localPath), contentType);
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const h = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      return { size: h.ContentLength ?? 0 };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const res = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    const body = res.Body;
    if (body instanceof Readable) return body;
    throw new Error(`unexpected S3 body type for ${key}`);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const full = this.k(prefix.replace(/\/+$/, ''));
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! })).filter((o) => o.Key === full || o.Key.startsWith(`${full}/`));
      if (keys.length) await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
