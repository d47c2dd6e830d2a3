import type { ErrorRequestHandler } from 'express';
import type * as z from 'zod';
import { SyncError, redactUrl } from '@planalign/sync-core';

/** An error with a status for the client: bad input, busy, forbidden. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function validationError(error: z.ZodError, where: string): HttpError {
  const details = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}`;
    return `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`;
  });
  return new HttpError(422, 'invalid_request', `Invalid ${where}: ${details.join('; ')}.`);
}

/**
 * Every failure leaves as `{error: {code, message, …}}` with the status of its class (a sync
 * error with its data, as `--json` gives it). Messages
 * are cleaned of credentials; unexpected errors say nothing about internals.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  if (error instanceof SyncError) {
    response.status(error.httpStatus).json({ error: { ...error.toJSON(), message: redactUrl(error.message) } });
    return;
  }
  if (error instanceof HttpError) {
    response.status(error.status).json({ error: { code: error.code, message: error.message } });
    return;
  }
  const status = (error as { status?: number; type?: string }).status;
  if (status === 413) {
    response.status(413).json({ error: { code: 'too_large', message: 'The request body is too large.' } });
    return;
  }
  if (status === 400) {
    response.status(400).json({ error: { code: 'bad_request', message: 'The request body is not valid JSON.' } });
    return;
  }
  response.status(500).json({ error: { code: 'unexpected', message: 'Something went wrong on the sync server; see its log.' } });
  process.stderr.write(`${redactUrl(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
};
