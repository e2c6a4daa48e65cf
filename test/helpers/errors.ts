import { isAppError } from '../../server/kernel/errors.ts';

/** The stable code `fn` throws, `accepted` when it throws nothing, `unexpected: …` for anything but an AppError. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : `unexpected: ${String(err)}`;
  }
  return 'accepted';
}

/** The stable code `p` rejects with, as {@link errorCode} says it. */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isAppError(err) ? err.code : `unexpected: ${String(err)}`;
  }
  return 'accepted';
}
