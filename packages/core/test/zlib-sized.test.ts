import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateObject, inflateCounted, inflateSized } from '../src/git/zlib-sized.js';

/**
 * Objects are deflated and inflated tens of thousands at a time: each result must hold only
 * its own bytes, not the 16 KiB buffer zlib writes into (550 MB for a large root's staging).
 */
describe('zlib sized to the result', () => {
  const held = (buffer: Buffer) => buffer.buffer.byteLength;
  const samples = [Buffer.from('{"name": "Merit 3%"}\n'), Buffer.alloc(5000, 'a'), randomBytes(40_000), Buffer.alloc(0)];

  it('round-trips what zlib itself reads, small and large, compressible or not', () => {
    for (const content of samples) {
      const deflated = deflateObject(content);
      expect(inflateSync(deflated).equals(content)).toBe(true);
      expect(inflateSized(deflated).equals(content)).toBe(true);
      expect(inflateSized(deflated, content.length).equals(content)).toBe(true);
      // a size guessed short still inflates whole
      expect(inflateSized(deflated, 1).equals(content)).toBe(true);
      const { content: counted, used } = inflateCounted(Buffer.concat([deflated, Buffer.from('next entry')]), content.length);
      expect(counted.equals(content)).toBe(true);
      expect(used).toBe(deflated.length);
    }
  });

  it('keeps no more memory than the bytes it returns: a small result sits in the slab small buffers share', () => {
    const small = samples[0];
    const deflated = deflateObject(small);
    // Node hands out buffers under 4 KiB from shared 8 KiB slabs (Buffer.poolSize)
    expect(held(deflated)).toBeLessThanOrEqual(Buffer.poolSize);
    expect(held(inflateSized(deflated, small.length))).toBeLessThanOrEqual(Buffer.poolSize);
    const large = samples[1];
    expect(held(inflateSized(deflateObject(large), large.length))).toBeLessThanOrEqual(large.length + 64);
    // what zlib's own call keeps for each small result, for comparison: a whole 16 KiB of its own
    expect(held(inflateSync(deflated))).toBeGreaterThanOrEqual(16 * 1024);
  });
});
