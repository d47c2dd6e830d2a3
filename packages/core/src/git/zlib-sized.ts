import { deflateSync, inflateSync } from 'node:zlib';

/**
 * zlib's synchronous calls write into buffers of `chunkSize` (16 KiB) and return a view of the
 * first one however small the result: a 200-byte object kept 16 KiB alive until the next
 * garbage collection. Staging a large root's 34,000 files so held 550 MB at once. These size
 * the buffer to the result instead; a guess that is short only costs a second buffer.
 */
const MIN_CHUNK = 64;
const MAX_FIRST_CHUNK = 64 * 1024 * 1024;

const firstChunk = (expected: number) => Math.min(MAX_FIRST_CHUNK, Math.max(MIN_CHUNK, Math.ceil(expected)));

/** Deflated bytes of an object: level 1, as git's pack-objects writes new objects fast. */
export function deflateObject(content: Uint8Array): Buffer {
  // fast deflate of small text adds a few bytes at worst
  return deflateSync(content, { level: 1, chunkSize: firstChunk(content.length + 64) });
}

/** The inflated bytes; `expectedSize` when the container says it (a pack entry's header). */
export function inflateSized(compressed: Uint8Array, expectedSize?: number): Buffer {
  return inflateSync(compressed, { chunkSize: firstChunk(expectedSize ?? compressed.length * 4) });
}

/** As inflateSized, also saying how many compressed bytes the stream used (where a pack's next entry starts). */
export function inflateCounted(compressed: Uint8Array, expectedSize: number): { content: Buffer; used: number } {
  const { buffer, engine } = inflateSync(compressed, { info: true, chunkSize: firstChunk(expectedSize) }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  return { content: buffer, used: engine.bytesWritten };
}
