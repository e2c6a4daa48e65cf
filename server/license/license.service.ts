import { randomBytes } from 'node:crypto';
import { checkActivationFor, verifyActivationCode, type Keyring } from '../../licenses/activation-code.ts';
import { encodeRequestCode } from '../../licenses/request-code.ts';
import type { AuditService, Actor } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError, isAppError, LICENSE_ERROR_CODES } from '../kernel/errors.ts';
import type { LicenseStore } from './license.store.ts';
import type { LicenseRow } from './license.types.ts';

/** How the appliance may be used right now. */
export type LicenseMode = 'evaluation' | 'active' | 'grace' | 'read_only';

/** The license as the admin screen, the CLI, health and metrics see it. */
export interface LicenseState {
  mode: LicenseMode;
  installationId: string;
  seats: number;
  seatsUsed: number;
  /** More active users than seats (after a lower-seat replacement). */
  overSeats: boolean;
  customer?: string;
  licenseId?: string;
  features: string[];
  expiresAt?: Date;
  graceEndsAt?: Date;
  /** Whole days until expiry (negative after it). */
  daysLeft?: number;
  /** The system clock is far behind the latest time this installation has seen. */
  clockBehind: boolean;
  latestSeen: Date;
}

const DAY_MS = 86_400_000;
// Clock steps smaller than this are ordinary drift, not tampering.
const CLOCK_TOLERANCE_MS = 60 * 60_000;
const PERSIST_EVERY_MS = 60_000;

/**
 * Offline licensing: the installation ID, request codes, installing signed
 * activation codes, and the rules they impose (seats, expiry, grace,
 * read-only). Time for the license is never earlier than the latest time the
 * installation has seen, so turning the clock back extends nothing.
 */
export function createLicenseService(deps: {
  store: LicenseStore;
  activeUsers: () => number;
  audit: AuditService;
  clock: Clock;
  keyring: Keyring;
  version: string;
}) {
  const { store, activeUsers, audit, clock, keyring, version } = deps;
  const installationId = store.initMeta('installation_id', randomBytes(16).toString('hex'));
  let latestSeen = Number(store.initMeta('clock.latest_seen', String(clock())));
  let persisted = latestSeen;

  const observe = () => {
    const now = clock();
    if (now > latestSeen) latestSeen = now;
    if (latestSeen - persisted >= PERSIST_EVERY_MS) {
      store.setMeta('clock.latest_seen', String(latestSeen));
      persisted = latestSeen;
    }
    return { now, effective: latestSeen };
  };

  // The mode alone, without counting seats: every write request asks for it.
  const modeOf = (current: LicenseRow | undefined, effective: number): LicenseMode => {
    if (!current) return 'evaluation';
    const expires = current.expiresAt.getTime();
    return effective < expires ? 'active' : effective < expires + current.graceDays * DAY_MS ? 'grace' : 'read_only';
  };

  const state = (): LicenseState => {
    const { now, effective } = observe();
    const current = store.current();
    const seatsUsed = activeUsers();
    const base = { installationId, seatsUsed, clockBehind: now < latestSeen - CLOCK_TOLERANCE_MS, latestSeen: new Date(latestSeen) };
    if (!current) return { ...base, mode: 'evaluation', seats: 1, overSeats: seatsUsed > 1, features: [] };
    const expires = current.expiresAt.getTime();
    const graceEnds = expires + current.graceDays * DAY_MS;
    const mode = modeOf(current, effective);
    return {
      ...base,
      mode,
      seats: current.seats,
      overSeats: seatsUsed > current.seats,
      customer: current.customer,
      licenseId: current.licenseId,
      features: current.features,
      expiresAt: current.expiresAt,
      graceEndsAt: new Date(graceEnds),
      daysLeft: Math.floor((expires - effective) / DAY_MS),
    };
  };

  return {
    installationId: () => installationId,
    state,
    history: (): LicenseRow[] => store.history(),

    /** A request code for the vendor (typed or scanned from the screen). */
    requestCode(actor: Actor, ip?: string): string {
      const code = encodeRequestCode({
        installationId,
        productVersion: version,
        activeSeats: activeUsers(),
        time: Math.floor(observe().effective / 1000),
        nonce: randomBytes(8).toString('hex'),
      });
      audit.record({ actor, action: 'license.request', ip });
      return code;
    },

    /**
     * Installs an activation code after checking signature, key, installation
     * and validity window; on any failure nothing changes and the reason is
     * both thrown (as the error code) and audited.
     */
    install(code: string, actor: Actor, ip?: string): LicenseState {
      try {
        const claims = verifyActivationCode(code, keyring);
        checkActivationFor(claims, installationId, Math.floor(observe().effective / 1000));
        // An older code cannot come back to undo a replacement (more seats, a later expiry).
        const current = store.current();
        if (current && claims.issuedAt < Math.floor(current.issuedAt.getTime() / 1000)) {
          throw new AppError(
            'superseded',
            `this code was issued before the installed one (${current.licenseId}, ${current.issuedAt.toISOString().slice(0, 10)}); install a newer code`,
          );
        }
        store.insert({
          code: code.trim(),
          licenseId: claims.licenseId,
          customer: claims.customer,
          seats: claims.seats,
          features: claims.features,
          issuedAt: new Date(claims.issuedAt * 1000),
          notBefore: new Date(claims.notBefore * 1000),
          expiresAt: new Date(claims.expiresAt * 1000),
          graceDays: claims.graceDays,
          keyId: claims.keyId,
          installedAt: new Date(clock()),
          installedBy: actor.label,
        });
        audit.record({
          actor,
          action: 'license.install',
          target: claims.licenseId,
          ip,
          details: { seats: claims.seats, expiresAt: claims.expiresAt, customer: claims.customer },
        });
        return state();
      } catch (err) {
        if (!isAppError(err, LICENSE_ERROR_CODES)) throw err;
        audit.record({ actor, action: 'license.install', outcome: 'failure', ip, details: { reason: err.code } });
        throw err;
      }
    },

    /** Refuses writes once the license is past its grace period. */
    assertWritable(): void {
      if (modeOf(store.current(), observe().effective) === 'read_only') {
        throw new AppError(
          'license_read_only',
          'the license has expired and its grace period is over: Onsite is read-only until a renewal code is installed (sign-in, reading and export still work)',
        );
      }
    },
  };
}

/** The license service. */
export type LicenseService = ReturnType<typeof createLicenseService>;
