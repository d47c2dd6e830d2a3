import { ApiError, type AuthState } from './api.js';
import { explainError } from './format.js';

/** What the field says when the shared copy refused a token: it may not write there. */
export const TOKEN_REFUSED = "This token can't write to that repository. Check that it may read and write its contents, and that it has not expired.";

/** A token the shared copy refused belongs under its field; anything else is said as any error. */
export function tokenFailure(error: unknown): { field: string | null; notice: { title: string; detail: string } | null } {
  if (error instanceof ApiError && error.code === 'auth_failed') return { field: TOKEN_REFUSED, notice: null };
  if (error instanceof ApiError && error.code === 'invalid_request' && /token/.test(error.message)) return { field: 'Enter the access token.', notice: null };
  return { field: null, notice: explainError(error) };
}

/** Said once a token is kept: where, and whether the sync service uses another one it was started with. */
export function tokenSaved(state: AuthState): { title: string; detail: string } {
  if (state.source === 'environment') {
    return {
      title: 'The access token works and is kept on this computer.',
      detail:
        'The sync service was started with a token of its own (PLANALIGN_SYNC_TOKEN) and uses that one while it is set; start it without that setting to use this one.',
    };
  }
  return {
    title: 'The access token works and is kept on this computer.',
    detail: `${state.source === 'file' ? 'It is in a file only you can read.' : 'It is in this computer’s password store.'} Press Sync to send what is waiting.`,
  };
}
