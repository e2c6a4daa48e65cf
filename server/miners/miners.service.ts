import { randomUUID } from 'node:crypto';
import type { AuditService, Actor } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { generateSecret, secretsEqual, sha256Hex } from '../kernel/secrets.ts';
import { pairingKeyHash } from '../kernel/protocol/pairing.ts';
import type { EnrollRequest, EnrollResponse } from '../kernel/protocol/miner.ts';
import { createSeenWriter } from './last-seen.ts';
import type { MinersStore } from './miners.store.ts';
import type { MinerRow } from './miners.types.ts';

/** Wrong pairing keys tolerated before the pending miner is revoked. */
export const MAX_PAIRING_FAILURES = 5;

/** Called when a miner's status changes, so its live connection learns it at once. */
export type StatusListener = (minerId: string, status: MinerRow['status']) => void;

/**
 * Miner enrolment and administration: the bundled miner proves the
 * enrolment secret (bound to the first worker id that used it; after a
 * revoke it comes back `pending` until an admin approves it); a remote one
 * spends a one-time registration token and stays `pending` until an admin
 * pastes the pairing key it printed.
 */
export function createMinerService(deps: {
  store: MinersStore;
  audit: AuditService;
  clock: Clock;
  enrollmentSecret: string;
  onStatus: StatusListener;
  onRetired: (minerId: string) => void;
}) {
  const { store, audit, clock } = deps;
  const minerActor = (m: MinerRow): Actor => ({ id: m.id, label: `miner:${m.workerId}` });
  const seen = createSeenWriter(store, clock);

  function setStatus(
    actor: Actor,
    id: string,
    status: MinerRow['status'],
    action: string,
    allowedFrom: Array<MinerRow['status']>,
    also: Partial<MinerRow> = {},
  ): MinerRow {
    const m = store.byId(id);
    if (!m || m.status === 'revoked') throw new AppError('not_found', 'no such miner');
    if (!allowedFrom.includes(m.status)) throw new AppError('miner_state', `the miner is ${m.status}`);
    const updated = store.update(id, { ...also, status })!;
    audit.record({ actor, action, target: id, details: { workerId: m.workerId } });
    deps.onStatus(id, status);
    return updated;
  }

  // The secret enrols one worker id, the bundled miner's: the first to use it. The check and the
  // write are one transaction, so two first enrolments cannot both bind it.
  function enrollBySecret(req: EnrollRequest, minerToken: string, now: Date, ip: string | undefined): EnrollResponse {
    if (!secretsEqual(req.secret!, deps.enrollmentSecret)) {
      audit.record({ actor: { label: `miner:${req.workerId}` }, action: 'miner.enroll', outcome: 'failure', ip, details: { reason: 'bad secret' } });
      throw new AppError('unauthorized', 'wrong enrolment secret');
    }
    const tokenHash = sha256Hex(minerToken);
    const outcome = store.transaction(() => {
      const bundled = store.bundled();
      if (bundled && bundled.workerId !== req.workerId) return { boundTo: bundled.workerId };
      // The bundled miner enrolling again (a lost state folder): same record, new token, same status, so a disable sticks.
      const live = store.bySecretWorker(req.workerId);
      if (live) return { m: store.update(live.id, { tokenHash, version: req.version ?? null, lastAddress: ip ?? null })!, reenrolled: true };
      // After a revoke the secret alone is not enough: the new identity waits for an admin's approval.
      const approved = bundled === undefined;
      const m = store.insert({
        id: `mnr_${randomUUID()}`,
        workerId: req.workerId,
        enrolledVia: 'secret',
        status: approved ? 'active' : 'pending',
        tokenHash,
        version: req.version ?? null,
        createdAt: now,
        confirmedAt: approved ? now : null,
        confirmedBy: approved ? 'enrollment-secret' : null,
        lastAddress: ip ?? null,
      });
      return { m, reenrolled: !approved };
    });
    if ('boundTo' in outcome) {
      audit.record({
        actor: { label: `miner:${req.workerId}` },
        action: 'miner.enroll',
        outcome: 'failure',
        ip,
        details: { reason: 'enrolment secret bound to another worker id', boundTo: outcome.boundTo },
      });
      throw new AppError(
        'enrollment_secret_bound',
        `the enrolment secret enrols only the bundled miner (worker id "${outcome.boundTo}"); enrol this one with a registration token from the Miners page`,
      );
    }
    const { m, reenrolled } = outcome;
    deps.onRetired(m.id); // a connection still holding the old token ends now
    audit.record({
      actor: minerActor(m),
      action: 'miner.enroll',
      target: m.id,
      ip,
      details: { via: 'secret', workerId: m.workerId, reenrolled, status: m.status },
    });
    return { minerId: m.id, minerToken, status: m.status === 'active' ? 'active' : 'pending' };
  }

  return {
    /** Enrols a miner; the token in the answer is shown once and kept only as a hash. */
    enroll(req: EnrollRequest, ip?: string): EnrollResponse {
      const now = new Date(clock());
      const minerToken = generateSecret(32);
      if (req.secret !== undefined) return enrollBySecret(req, minerToken, now, ip);
      const id = `mnr_${randomUUID()}`;
      const m = store.transaction(() => {
        const token = store.useToken(sha256Hex(req.registrationToken!), now, id);
        if (!token) return undefined;
        return store.insert({
          id,
          workerId: req.workerId,
          enrolledVia: 'token',
          status: 'pending',
          tokenHash: sha256Hex(minerToken),
          pairingKeyHash: req.pairingKeyHash!,
          registrationTokenId: token.id,
          version: req.version ?? null,
          createdAt: now,
          lastAddress: ip ?? null,
        });
      });
      if (!m) {
        audit.record({
          actor: { label: `miner:${req.workerId}` },
          action: 'miner.enroll',
          outcome: 'failure',
          ip,
          details: { reason: 'registration token unknown, used or expired' },
        });
        throw new AppError('unauthorized', 'the registration token is unknown, used or expired; ask an admin for a new one');
      }
      audit.record({ actor: minerActor(m), action: 'miner.enroll', target: m.id, ip, details: { via: 'token', workerId: m.workerId } });
      return { minerId: m.id, minerToken, status: 'pending' };
    },

    /** Finds the miner a `<minerId>.<token>` credential belongs to; undefined when wrong or revoked. */
    authenticate(credential: string | undefined): MinerRow | undefined {
      if (!credential) return undefined;
      const dot = credential.indexOf('.');
      if (dot <= 0) return undefined;
      const m = store.byTokenHash(sha256Hex(credential.slice(dot + 1)));
      // The id must match too, and the hash lookup already compared a digest, not the secret.
      if (!m || !secretsEqual(m.id, credential.slice(0, dot)) || m.status === 'revoked') return undefined;
      return m;
    },

    /** Makes a one-time registration token for a remote miner; the token is shown once. */
    createRegistrationToken(actor: Actor, label: string, ttlHours: number) {
      const token = `omr_${generateSecret(32)}`;
      const now = clock();
      const row = store.insertToken({
        id: randomUUID(),
        tokenHash: sha256Hex(token),
        label,
        createdBy: actor.id ?? null,
        createdAt: new Date(now),
        expiresAt: new Date(now + ttlHours * 3_600_000),
      });
      audit.record({ actor, action: 'miner.registration_token.create', target: row.id, details: { label, ttlHours } });
      return { id: row.id, token, label, expiresAt: row.expiresAt.toISOString() };
    },

    /** Activates a pending miner when the pasted key matches the one it printed; repeated misses revoke it. */
    confirm(actor: Actor, id: string, pairingKey: string): MinerRow {
      const m = store.byId(id);
      if (!m || m.status === 'revoked') throw new AppError('not_found', 'no such miner');
      if (m.status !== 'pending' || !m.pairingKeyHash) throw new AppError('miner_state', `the miner is ${m.status}, not waiting for a pairing key`);
      if (!secretsEqual(pairingKeyHash(pairingKey), m.pairingKeyHash)) {
        const failures = store.countPairingFailure(id);
        audit.record({ actor, action: 'miner.confirm', outcome: 'failure', target: id, details: { failures } });
        if (failures >= MAX_PAIRING_FAILURES) {
          store.update(id, { status: 'revoked' });
          deps.onStatus(id, 'revoked');
          throw new AppError('pairing_key_mismatch', `wrong pairing key ${failures} times: the miner was revoked; make a new registration token`);
        }
        throw new AppError('pairing_key_mismatch', 'the pairing key does not match the one this miner printed');
      }
      const updated = store.update(id, { status: 'active', confirmedAt: new Date(clock()), confirmedBy: actor.id ?? actor.label })!;
      audit.record({ actor, action: 'miner.confirm', target: id, details: { workerId: m.workerId } });
      deps.onStatus(id, 'active');
      return updated;
    },

    /** Lets a pending miner enrolled by secret (the bundled one, back after a revoke) take jobs again. */
    approve(actor: Actor, id: string): MinerRow {
      const m = store.byId(id);
      if (m?.status === 'pending' && m.enrolledVia !== 'secret')
        throw new AppError('miner_state', 'a remote miner is confirmed with the pairing key it printed');
      return setStatus(actor, id, 'active', 'miner.approve', ['pending'], { confirmedAt: new Date(clock()), confirmedBy: actor.id ?? actor.label });
    },
    disable: (actor: Actor, id: string) => setStatus(actor, id, 'disabled', 'miner.disable', ['active']),
    enable: (actor: Actor, id: string) => setStatus(actor, id, 'active', 'miner.enable', ['disabled']),
    revoke: (actor: Actor, id: string) => setStatus(actor, id, 'revoked', 'miner.revoke', ['active', 'pending', 'disabled']),

    /** Records what a connected miner says about itself (its row is written at most every few seconds). */
    noteSeen: seen.note,
    /** Writes what `noteSeen` kept back (the miner disconnected). */
    flushSeen: seen.flush,

    /** Records that a miner's connection was closed for flooding the server with heartbeats. */
    noteFlood(id: string, dropped: number, ip?: string): void {
      const m = store.byId(id);
      audit.record({
        actor: m ? minerActor(m) : { id, label: 'miner' },
        action: 'miner.heartbeat_flood',
        outcome: 'failure',
        target: id,
        ip,
        details: { dropped },
      });
    },

    list: () => store.list(),
    get: (id: string) => store.byId(id),
    registrationTokens: () => store.tokens(),
  };
}

/** The miner service. */
export type MinerService = ReturnType<typeof createMinerService>;
