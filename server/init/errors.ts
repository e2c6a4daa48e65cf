/** Why `onsite init` stopped: stable codes for scripts and tests. */
export type InitErrorCode =
  | 'bundle_invalid' // SHA256SUMS, a listed file, or an unlisted file
  | 'signature_invalid' // SHA256SUMS.sig missing, malformed, unknown key or bad signature
  | 'docker_failed' // the Docker Engine API refused or could not be reached
  | 'model_invalid' // the bundled Ollama files are not what they claim
  | 'env_invalid' // .env cannot be read or updated
  | 'tls_invalid' // the TLS files are incomplete or do not belong together
  | 'usage'; // an option names something that is not there

/** An expected `onsite init` failure with a stable code and a message fit for an operator. */
export class InitError extends Error {
  override readonly name = 'InitError';

  constructor(
    readonly code: InitErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Tells whether a value is an {@link InitError}, optionally with a given code. */
export function isInitError(value: unknown, code?: InitErrorCode): value is InitError {
  return value instanceof InitError && (code === undefined || value.code === code);
}
