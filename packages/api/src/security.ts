import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-errors.js';

export interface SecurityOptions {
  /** when set, every request must carry `Authorization: Bearer <token>` */
  token?: string;
  /** origins allowed to call the API from a browser on another origin (CORS); none by default */
  allowedOrigins?: string[];
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireToken(token: string | undefined): RequestHandler {
  return (request, _response, next) => {
    if (!token) return next();
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given) return next(new HttpError(401, 'api_token_required', 'This sync server needs a token: send Authorization: Bearer <PLANALIGN_SYNC_API_TOKEN>.'));
    if (!sameToken(given, token)) return next(new HttpError(403, 'api_token_invalid', 'The token is not the one this sync server was started with.'));
    next();
  };
}

/**
 * No CORS unless origins are configured; state-changing requests from another site are refused
 * (a page elsewhere must not push or pull through the user's browser), and must be JSON, which
 * a plain HTML form cannot send. A DELETE carries no body: no form can send one either.
 */
export function sameSiteOnly(allowedOrigins: string[] = []): RequestHandler {
  return (request, response, next) => {
    const origin = request.headers.origin;
    const allowed = origin !== undefined && allowedOrigins.includes(origin);
    if (allowed) {
      response.setHeader('Access-Control-Allow-Origin', origin!);
      response.setHeader('Vary', 'Origin');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      response.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
      if (request.method === 'OPTIONS') return void response.status(204).end();
    }
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return next();
    const site = request.headers['sec-fetch-site'];
    const crossSite =
      (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !allowed && hostOf(origin) !== request.headers.host);
    if (crossSite && !allowed) return next(new HttpError(403, 'cross_site', 'Requests that change sync state must come from the sync dashboard itself.'));
    if (request.method !== 'DELETE' && !request.is('application/json'))
      return next(new HttpError(415, 'json_required', 'Send the request body as application/json.'));
    next();
  };
}
