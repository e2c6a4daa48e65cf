import { FETCH_ERROR_STATUS, type FetchErrorCode } from '../server/kernel/protocol/browser.ts';

/** An expected failure of the sidecar, with a stable code and a message fit for a person. */
export class BrowserError extends Error {
  override readonly name = 'BrowserError';

  constructor(
    readonly code: FetchErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The HTTP status this error is answered with. */
  get status(): (typeof FETCH_ERROR_STATUS)[FetchErrorCode] {
    return FETCH_ERROR_STATUS[this.code];
  }
}
