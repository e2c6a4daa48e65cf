/**
 * Stable error codes the product reports. The HTTP layer maps each one to a
 * status in one place (server/http/errors.ts); the CLI prints the message.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'
  | 'config_invalid'
  | 'schema_newer'
  | 'schema_mismatch'
  | 'foreign_database'
  | 'migration_failed'
  | 'backup_invalid'
  | 'data_dir_locked'
  | 'seal_invalid'
  | 'seal_key_unknown'
  | 'weak_password'
  | 'invalid_credentials'
  | 'too_many_attempts'
  | 'session_required'
  | 'setup_closed'
  | 'setup_token_invalid'
  | 'bootstrap_token_missing'
  | 'csrf_failed'
  | 'misdirected_request'
  | 'last_admin'
  | 'email_taken'
  | 'token_invalid'
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_installation'
  | 'expired'
  | 'not_yet_valid'
  | 'superseded'
  | 'seats_exceeded'
  | 'license_read_only'
  | 'model_unknown'
  | 'model_disabled'
  | 'model_kind'
  | 'miners_busy'
  | 'no_miner'
  | 'generation_failed'
  | 'budget_exceeded'
  | 'streams_exhausted'
  | 'pairing_key_mismatch'
  | 'miner_state'
  | 'enrollment_secret_bound'
  | 'egress_refused'
  | 'invalid_api_key'
  | 'browser_unavailable'
  | 'browser_busy'
  | 'page_refused'
  | 'page_fetch_failed'
  | 'page_timeout'
  | 'unsupported_type'
  | 'extract_failed'
  | 'extract_too_large'
  | 'extract_timeout'
  | 'extract_out_of_memory'
  | 'bad_archive'
  | 'crashed_during_extraction'
  | 'no_embedding_model'
  | 'embedding_dimension_mismatch'
  | 'document_too_long'
  | 'document_not_ready';

/** An expected failure with a stable code and a message fit for a person. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Tells whether a value is an {@link AppError}, optionally with a given code. */
export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code);
}
