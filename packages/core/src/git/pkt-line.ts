/**
 * Git's pkt-line framing (protocol v0): four hex digits giving the length of the line
 * including themselves, then the payload; `0000` is a flush. Version 0 has no other special
 * lengths, so 0001-0003 and anything that is not four hex digits are malformed, never a flush.
 */

export function pktLine(text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

export const FLUSH = Buffer.from('0000');

/** Wire data that does not follow the protocol: the message says what was wrong, never what the bytes were. */
export class MalformedWireError extends Error {
  readonly code = 'MalformedWireError';
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Reads the pkt-line starting at `offset`: its payload (null for a flush) and where the next one starts. */
export function readPktLine(buffer: Buffer, offset: number): { payload: Buffer | null; next: number } {
  if (offset + 4 > buffer.length) throw new MalformedWireError('the remote sent a truncated pkt-line');
  const header = buffer.toString('latin1', offset, offset + 4);
  if (!HEX4.test(header)) throw new MalformedWireError('the remote sent a malformed pkt-line length');
  const length = Number.parseInt(header, 16);
  if (length === 0) return { payload: null, next: offset + 4 };
  if (length < 4) throw new MalformedWireError(`the remote sent a pkt-line of length ${length}, which protocol v0 does not have`);
  if (offset + length > buffer.length) throw new MalformedWireError('the remote sent a truncated pkt-line');
  return { payload: buffer.subarray(offset + 4, offset + length), next: offset + length };
}

/** Splits a whole pkt-line stream; a flush is returned as null. Anything left over is an error. */
export function parsePktLines(buffer: Buffer): (Buffer | null)[] {
  const lines: (Buffer | null)[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const { payload, next } = readPktLine(buffer, offset);
    lines.push(payload);
    offset = next;
  }
  return lines;
}

/** An `ERR <message>` line: the server's reason for stopping. */
export function errLineText(payload: Buffer): string | null {
  return payload.length >= 4 && payload.toString('latin1', 0, 4) === 'ERR ' ? payload.subarray(4).toString('utf8').trim() : null;
}

/**
 * Text the server wrote for people (ERR lines, hook output), made safe to print: terminal
 * control sequences are dropped (a hostile server must not drive the user's terminal), as git
 * does for side-band messages.
 */
export function sanitizeRemoteText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
      .trim()
  );
}
