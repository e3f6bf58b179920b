/**
 * A seeded random stream, so the same prompt and seed always render the same video (and a test can
 * tell two prompts apart by their pixels).
 */
import { createHash } from 'node:crypto';

/**
 * Returns a deterministic generator of numbers in [0, 1) seeded by SHA-256 of the parts (sfc32
 * over the first 16 bytes of the digest: fast, and good enough to pick colours and phases).
 *
 * @example
 * const rand = seededRandom('a red fox', 'job_123');
 * rand(); // the same value on every run
 */
export function seededRandom(...parts: string[]): () => number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
