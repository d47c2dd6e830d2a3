import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/**
 * Where the token for a remote comes from, as `sync auth`, `sync login`, `sync logout` and the
 * API's `/api/sync/auth` tell it: the place, never the token.
 *
 * - `environment`: PLANALIGN_SYNC_TOKEN (it wins whenever it is set);
 * - `file`: the file only this user can read, in their configuration folder (`location` is its path);
 * - `credential-helper`: Git's credential helper (`location` is its name, e.g. `osxkeychain`, `store`).
 */
export const TokenSource = lazySchema(() => z.enum(['environment', 'file', 'credential-helper']));
export type TokenSource = z.infer<typeof TokenSource>;

export const AuthState = lazySchema(() =>
  z.object({
    /** the remote's address, without credentials */
    remote: z.string(),
    /** where sync takes the token from for this remote; null when it has none (fine for a remote that asks for none) */
    source: TokenSource.nullable(),
    /** the helper's name or the file's path; null with the environment or no token */
    location: z.string().nullable(),
    message: z.string(),
  }),
);
export type AuthState = z.infer<typeof AuthState>;
