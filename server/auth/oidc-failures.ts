import * as client from 'openid-client';
import { isAppError } from '../kernel/errors.ts';

/** Why an OpenID Connect sign-in failed: the reason audited and a message for the person. */
export interface OidcFailure {
  reason:
    'bad_state' | 'bad_nonce' | 'bad_signature' | 'expired' | 'bad_claims' | 'token_refused' | 'provider_unreachable' | 'egress_refused' | 'invalid_response';
  message: string;
}

/**
 * Sorts an openid-client (oauth4webapi) error into a stable reason. The
 * library's own messages stay in the log; people get a sentence that says
 * what to do.
 */
export function failureOf(err: unknown): OidcFailure {
  if (isAppError(err, 'egress_refused')) return { reason: 'egress_refused', message: err.message };
  // openid-client wraps oauth4webapi's error (its message, code and the claim at fault) in its own.
  const outer = err as { cause?: unknown };
  const e = (outer?.cause instanceof Error ? outer.cause : err) as { code?: string; message?: string; cause?: { claim?: string } | unknown; error?: string };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const claim = typeof e.cause === 'object' && e.cause !== null ? (e.cause as { claim?: string }).claim : undefined;
  if (/"state"/.test(message)) return { reason: 'bad_state', message: 'the sign-in came back with the wrong state; start again' };
  if (claim === 'nonce' || /"nonce"/.test(message))
    return { reason: 'bad_nonce', message: 'the ID token does not belong to this sign-in (nonce); start again' };
  if (/signature verification failed/i.test(message) || e.code === 'OAUTH_KEY_SELECTION_FAILED')
    return { reason: 'bad_signature', message: "the ID token is not signed by the provider's keys" };
  if (e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED')
    return { reason: 'expired', message: 'the ID token has expired or is not yet valid; check the clocks of this server and the provider' };
  if (e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')
    return { reason: 'bad_claims', message: `the ID token was not issued to this application by this provider (${claim ?? 'claims'})` };
  if (err instanceof client.ResponseBodyError || e instanceof client.ResponseBodyError)
    return { reason: 'token_refused', message: `the provider refused the code (${e.error ?? 'error'}); start again` };
  if (err instanceof TypeError || (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError')
    return { reason: 'provider_unreachable', message: 'the OpenID provider did not answer; try again later' };
  return { reason: 'invalid_response', message: 'the OpenID provider gave an answer Onsite cannot accept' };
}
