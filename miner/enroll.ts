import { AppError } from '../server/kernel/errors.ts';
import type { Log } from '../server/kernel/log.ts';
import { enrollResponseSchema, type EnrollRequest, type EnrollResponse } from '../server/kernel/protocol/miner.ts';
import { generatePairingKey, pairingKeyHash } from '../server/kernel/protocol/pairing.ts';
import { backoffDelay, RECONNECT_BACKOFF, REFUSED_BACKOFF, sleep, type BackoffPolicy } from './backoff.ts';
import type { MinerConfig } from './config.ts';
import type { MinerIdentity } from './state.ts';

/** What {@link enroll} needs besides the configuration. */
export interface EnrollDeps {
  log: Log;
  version: string;
  /** Aborts the retry loop (stop() during enrolment). */
  signal: AbortSignal;
  /** Backoff for an unreachable server and for a refused credential; tests shorten them. */
  retry?: { unreachable?: BackoffPolicy | undefined; refused?: BackoffPolicy | undefined };
}

/** The outcome of a successful enrolment. */
export interface Enrolled {
  identity: MinerIdentity;
  status: EnrollResponse['status'];
}

type Attempt = { ok: true; response: EnrollResponse } | { ok: false; retry: 'unreachable' | 'refused'; message: string };

const ATTEMPT_TIMEOUT_MS = 15_000;

function errorMessage(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

async function attempt(url: string, request: EnrollRequest, signal: AbortSignal): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.any([signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, retry: 'unreachable', message: `cannot reach the server (${cause ?? (err as Error).message})` };
  }
  const body: unknown = await res.json().catch(() => undefined);
  const detail = errorMessage(body) ?? res.statusText;
  if (res.status === 401 || res.status === 403) return { ok: false, retry: 'refused', message: `HTTP ${res.status}: ${detail}` };
  if (res.status >= 500 || res.status === 408 || res.status === 429) return { ok: false, retry: 'unreachable', message: `HTTP ${res.status}: ${detail}` };
  if (!res.ok) {
    throw new AppError('validation_failed', `the server rejected the enrolment request (HTTP ${res.status}: ${detail}); check WORKER_ID and SERVER_URL`);
  }
  const parsed = enrollResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new AppError(
      'validation_failed',
      `the server's enrolment answer is not understood (${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}); is SERVER_URL an Onsite server of a matching version?`,
    );
  }
  return { ok: true, response: parsed.data };
}

/**
 * Enrolls with the server: `{workerId, secret}` for the bundled miner, or
 * `{workerId, registrationToken, pairingKeyHash}` for a remote one (which
 * keeps the key to print). Retries an unreachable server and a refused
 * credential with backoff until `signal` aborts; a rejected request or an
 * answer that does not validate throws, since retrying cannot fix it.
 */
export async function enroll(config: MinerConfig, deps: EnrollDeps): Promise<Enrolled | undefined> {
  const url = `${config.SERVER_URL}/api/miners/enroll`;
  const pairingKey = config.MINER_REGISTRATION_TOKEN ? generatePairingKey() : undefined;
  const request: EnrollRequest = pairingKey
    ? {
        workerId: config.WORKER_ID,
        registrationToken: config.MINER_REGISTRATION_TOKEN,
        pairingKeyHash: pairingKeyHash(pairingKey),
        version: deps.version.slice(0, 64),
      }
    : { workerId: config.WORKER_ID, secret: config.MINER_ENROLLMENT_SECRET, version: deps.version.slice(0, 64) };
  const credential = pairingKey ? 'MINER_REGISTRATION_TOKEN' : 'MINER_ENROLLMENT_SECRET';
  const failures = { unreachable: 0, refused: 0 };
  while (!deps.signal.aborted) {
    const result = await attempt(url, request, deps.signal);
    if (deps.signal.aborted) return undefined;
    if (result.ok) {
      const identity: MinerIdentity = {
        minerId: result.response.minerId,
        minerToken: result.response.minerToken,
        serverUrl: config.SERVER_URL,
        workerId: config.WORKER_ID,
        ...(pairingKey ? { pairingKey } : {}),
        enrolledAt: new Date().toISOString(),
      };
      return { identity, status: result.response.status };
    }
    const policy = result.retry === 'refused' ? (deps.retry?.refused ?? REFUSED_BACKOFF) : (deps.retry?.unreachable ?? RECONNECT_BACKOFF);
    // A refused credential waits at least half the base delay: jitter must never turn into a tight loop.
    const jittered = backoffDelay(failures[result.retry]++, policy);
    const delay = result.retry === 'refused' ? Math.max(policy.baseMs / 2, jittered) : jittered;
    if (result.retry === 'refused') {
      deps.log.error(
        { url },
        `the server refused ${credential} (${result.message}); check the value (a registration token may be expired or used), retrying in ${Math.round(delay / 1000)} s`,
      );
    } else {
      deps.log.warn({ url }, `enrolment failed: ${result.message}; retrying in ${Math.round(delay / 1000)} s`);
    }
    await sleep(delay, deps.signal);
  }
  return undefined;
}
