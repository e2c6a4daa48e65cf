import { FETCH_ERROR_STATUS, type FetchErrorCode } from './protocol/browser.ts';

// One error class for every role; its stable codes are grouped by the role that
// reports them. The HTTP layer maps every code to a status in one place
// (server/http/errors.ts), the sidecar its own (FETCH_ERROR_STATUS); the CLI
// prints the message and the code.

/** Codes of the server's API, services and commands. */
export type ServerErrorCode =
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
  | 'document_not_ready'
  | 'sso_not_configured'
  | 'sso_failed'
  | 'sso_not_allowed'
  | 'identity_unlinked'
  | 'directory_unreachable'
  | 'local_login_disabled'
  | 'mfa_required'
  | 'mfa_invalid'
  | 'mfa_enrolment_required'
  | 'mfa_state'
  | 'model_not_allowed'
  | 'feature_not_allowed'
  | 'group_read_only';

/** Why an activation code (licenses/activation-code.ts) or a request code (licenses/request-code.ts) was refused. */
export const LICENSE_ERROR_CODES = [
  'malformed',
  'unknown_key',
  'bad_signature',
  'wrong_installation',
  'expired',
  'not_yet_valid',
  'superseded',
  'request_code_invalid',
] as const;
/** A code of {@link LICENSE_ERROR_CODES}. */
export type LicenseErrorCode = (typeof LICENSE_ERROR_CODES)[number];

/** Why `onsite init` stopped: stable codes for scripts and tests. */
export const INIT_ERROR_CODES = [
  'bundle_invalid', // SHA256SUMS, a listed file, or an unlisted file
  'signature_invalid', // SHA256SUMS.sig missing, malformed, unknown key or bad signature
  'docker_failed', // the Docker Engine API refused or could not be reached
  'model_invalid', // the bundled Ollama files are not what they claim
  'env_invalid', // .env cannot be read or updated
  'tls_invalid', // the TLS files are incomplete or do not belong together
  'usage', // an option names something that is not there; any command's wrong call (server/cli/main.ts)
] as const;
/** A code of {@link INIT_ERROR_CODES}. */
export type InitErrorCode = (typeof INIT_ERROR_CODES)[number];

/** Why the browser sidecar refused or failed a fetch: the codes of its API (server/kernel/protocol/browser.ts). */
export const BROWSER_ERROR_CODES = Object.keys(FETCH_ERROR_STATUS) as readonly FetchErrorCode[];
/** A code of {@link BROWSER_ERROR_CODES}. */
export type BrowserErrorCode = FetchErrorCode;

/** Every stable error code the product reports. */
export type ErrorCode = ServerErrorCode | LicenseErrorCode | InitErrorCode | BrowserErrorCode;

/** An expected failure with a stable code and a message fit for a person. */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: C,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Tells whether a value is an {@link AppError}, optionally with a given code or one of a list of codes (a role's). */
export function isAppError<C extends ErrorCode = ErrorCode>(value: unknown, code?: C | readonly C[]): value is AppError<C> {
  if (!(value instanceof AppError)) return false;
  if (code === undefined) return true;
  return typeof code === 'string' ? value.code === code : (code as readonly ErrorCode[]).includes(value.code);
}
