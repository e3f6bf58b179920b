import type { Readable } from 'node:stream';

export interface BlobStat {
  size: number;
}

/** Where result files live: the local filesystem by default, S3 in cluster mode. */
export interface BlobStore {
  readonly kind: string;
  /** Moves or copies a finished local file into the store under `key`. */
  putFile(key: string, localPath: string, contentType: string): Promise<BlobStat>;
  /** Streams `body` into the store; never buffers it whole. */
  putStream(key: string, body: Readable, contentType: string): Promise<BlobStat>;
  stat(key: string): Promise<BlobStat | null>;
  /** Reads `[start, end]` (inclusive) or the whole blob. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes every blob whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** A local filesystem path for the blob, when the store has one (saves a copy for ffmpeg). */
  localPath(key: string): string | null;
}
