import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppError, ErrorCode } from '../kernel/errors.ts';
import { FETCH_ERROR_STATUS } from '../kernel/protocol/browser.ts';

// The one place where error codes become HTTP statuses.
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  // The sidecar's own codes, as it answers them; the server reports them as page_refused and the like.
  ...FETCH_ERROR_STATUS,
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  config_invalid: 500,
  schema_newer: 500,
  schema_mismatch: 500,
  foreign_database: 500,
  migration_failed: 500,
  backup_invalid: 400,
  // Another onsite process holds the data folder (serve, restore, migrate, rotate-key).
  data_dir_locked: 409,
  // A stored secret that does not open: altered or moved (seal_invalid); sealed under a key
  // that is neither DB_ENCRYPTION_KEY nor one of DB_ENCRYPTION_KEY_PREVIOUS (seal_key_unknown).
  seal_invalid: 500,
  seal_key_unknown: 500,
  weak_password: 400,
  invalid_credentials: 401,
  // Sign-in waits (details.retryAfter, seconds); an action that needs a browser session, not an API key.
  too_many_attempts: 429,
  session_required: 403,
  setup_closed: 410,
  setup_token_invalid: 403,
  bootstrap_token_missing: 503,
  // A Host that is none of this server's names (DNS rebinding, a stale bookmark): RFC 9110's 421.
  misdirected_request: 421,
  csrf_failed: 403,
  last_admin: 409,
  email_taken: 409,
  token_invalid: 400,
  malformed: 400,
  unknown_key: 400,
  bad_signature: 400,
  wrong_installation: 400,
  expired: 400,
  not_yet_valid: 400,
  superseded: 400,
  seats_exceeded: 409,
  // Enterprise sign-in: no provider configured; a flow that failed its checks (state, nonce,
  // signature, expiry); a directory user outside the allowed groups; an email that belongs to a
  // local account no admin has linked; a directory that does not answer in time; local sign-in
  // limited by LOCAL_LOGIN.
  sso_not_configured: 404,
  sso_failed: 401,
  sso_not_allowed: 403,
  identity_unlinked: 409,
  directory_unreachable: 503,
  local_login_disabled: 403,
  // MFA: a password sign-in that now needs its second factor; a wrong or reused code; an account
  // that must enrol before anything else; an enrolment step out of order.
  mfa_required: 401,
  mfa_invalid: 401,
  mfa_enrolment_required: 403,
  mfa_state: 409,
  // Groups: a model the caller's groups may not use (403, not 404, so integrators know why); a
  // change to a group Onsite does not manage (Everyone, or a group synced from a directory).
  model_not_allowed: 403,
  feature_not_allowed: 403,
  group_read_only: 409,
  license_read_only: 403,
  model_unknown: 404,
  model_disabled: 409,
  model_kind: 400,
  miners_busy: 503,
  no_miner: 503,
  generation_failed: 502,
  budget_exceeded: 402,
  streams_exhausted: 503,
  pairing_key_mismatch: 400,
  miner_state: 409,
  // The enrolment secret enrols only the bundled miner's worker id; others need a registration token.
  enrollment_secret_bound: 403,
  egress_refused: 500,
  invalid_api_key: 401,
  // The browser sidecar (server/browser-client): down or refusing our token; every slot taken;
  // the URL refused by its guard; the page failed to load; the page took too long.
  browser_unavailable: 503,
  browser_busy: 503,
  page_refused: 422,
  page_fetch_failed: 502,
  page_timeout: 504,
  // The knowledge base: a file that is none of the accepted formats; one whose text could not be
  // read (damaged, encrypted, only images); no embedding model in the catalog; an embedder whose
  // vectors do not match the model's dimension; a document too long for whole-document mode;
  // a document still being ingested. Reading a document is bounded (inflated size, characters,
  // time, memory) and a malformed archive is refused; these fail the document, rarely a request.
  unsupported_type: 415,
  extract_failed: 422,
  extract_too_large: 422,
  extract_timeout: 422,
  extract_out_of_memory: 422,
  bad_archive: 422,
  crashed_during_extraction: 422,
  no_embedding_model: 409,
  embedding_dimension_mismatch: 502,
  document_too_long: 422,
  document_not_ready: 409,
  // A request code the vendor tool could not read (licenses/request-code.ts).
  request_code_invalid: 400,
  // `onsite init` and the CLI: they never reach the API; a wrong call is the caller's.
  bundle_invalid: 500,
  signature_invalid: 500,
  docker_failed: 500,
  model_invalid: 500,
  env_invalid: 500,
  tls_invalid: 500,
  usage: 400,
};

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

/** The JSON error body every endpoint uses: `{"error":{"code","message"}}`. */
export function errorBody(code: string, message: string, extra?: Record<string, unknown>) {
  return { error: { code, message, ...extra } };
}

/** Responds with an error in the standard shape. */
export function errorResponse(c: Context, code: ErrorCode, message: string, extra?: Record<string, unknown>) {
  return c.json(errorBody(code, message, extra), statusOf(code));
}

/** Sets Retry-After from the seconds an error asks the client to wait (`details.retryAfter`), and returns them. */
export function setRetryAfter(c: Context, err: AppError): number | undefined {
  const v = err.details?.retryAfter;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  c.header('retry-after', String(Math.ceil(v)));
  return Math.ceil(v);
}
