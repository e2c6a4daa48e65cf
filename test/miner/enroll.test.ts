import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pairingKeyHash } from '../../server/kernel/protocol/pairing.ts';
import { identityPath, loadIdentity } from '../../miner/state.ts';
import { createRig, until, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('miner enrolment', () => {
  it('enrolls the bundled miner with the secret, saves the identity and reuses it after a restart', async () => {
    rig = await createRig();
    const first = await rig.start();
    await rig.server.waitForFrame('hello');
    expect(rig.server.enrollRequests).toEqual([{ workerId: 'test-miner', secret: rig.env.MINER_ENROLLMENT_SECRET, version: 'test' }]);
    const saved = loadIdentity(rig.stateDir)!;
    expect(saved).toMatchObject({ minerId: first.minerId(), serverUrl: rig.server.url, workerId: 'test-miner' });
    expect(saved.pairingKey).toBeUndefined();
    expect(statSync(identityPath(rig.stateDir)).mode & 0o777).toBe(0o600);
    await first.stop();

    const second = await rig.start({ MINER_ENROLLMENT_SECRET: '' }); // no credential needed any more
    await until(() => rig!.server.connections === 2 && second.connected(), 5000, 'second connection');
    expect(second.minerId()).toBe(saved.minerId);
    expect(rig.server.enrollRequests).toHaveLength(1);
    expect(rig.server.authorizations[1]).toBe(`Bearer ${saved.minerId}.${saved.minerToken}`);
    expect(rig.logs.join('')).not.toContain(saved.minerToken);
    expect(rig.logs.join('')).not.toContain(rig.env.MINER_ENROLLMENT_SECRET);
  });

  it('enrolls a remote miner with a registration token, sends the key hash and prints the key while pending', async () => {
    rig = await createRig({ server: { welcomeStatus: 'pending' } });
    const miner = await rig.start({ MINER_ENROLLMENT_SECRET: '', MINER_REGISTRATION_TOKEN: 'reg_token_0123456789' });
    await until(() => rig!.printed.length === 1, 5000, 'pairing key line');
    const key = /^PAIRING KEY: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}) — ask an admin to confirm it on the Miners page$/.exec(rig.printed[0]!)?.[1];
    expect(key).toBeDefined();
    const request = rig.server.enrollRequests[0]!;
    expect(request).toEqual({ workerId: 'test-miner', registrationToken: 'reg_token_0123456789', pairingKeyHash: pairingKeyHash(key!), version: 'test' });
    expect(JSON.stringify(request)).not.toContain(key!.replace(/-/g, ''));
    expect(JSON.parse(readFileSync(identityPath(rig.stateDir), 'utf8')).pairingKey).toBe(key);
    await rig.server.waitForFrame('hello');
    await until(() => miner.status() === 'pending', 5000, 'pending');
    expect(rig.printed).toHaveLength(1); // once per start, not once per frame
    expect(rig.logs.join('')).not.toContain('reg_token_0123456789');
    await miner.stop();

    await rig.start({ MINER_REGISTRATION_TOKEN: '' });
    await until(() => rig!.printed.length === 2, 5000, 'key printed again at the next start');
    expect(rig.printed[1]).toContain(key!);
  });

  it('retries a refused credential with backoff, never in a tight loop', async () => {
    let refuse = true;
    rig = await createRig({
      server: {
        enroll: () =>
          refuse
            ? { status: 401, body: { error: { code: 'unauthorized', message: 'bad enrolment secret' } } }
            : { status: 200, body: { minerId: 'm_ok', minerToken: 't'.repeat(40), status: 'active' } },
      },
    });
    const miner = await rig.start();
    await until(() => rig!.server.enrollRequests.length >= 1, 5000, 'first attempt');
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.server.enrollRequests.length).toBeLessThanOrEqual(2);
    expect(miner.status()).toBe('enrolling');
    expect(rig.logEntries().some((l) => l.level === 'error' && /refused MINER_ENROLLMENT_SECRET.*bad enrolment secret/.test(String(l.msg)))).toBe(true);
    refuse = false;
    rig.server.credentials.add(`m_ok.${'t'.repeat(40)}`);
    await until(() => miner.minerId() === 'm_ok' && miner.connected(), 8000, 'enrolled after the fix');
  });

  it('waits for a server that is not up yet (unreachable, then 503) and enrolls once it answers', async () => {
    let answers = 0;
    rig = await createRig({
      server: {
        enroll: () =>
          ++answers <= 2
            ? { status: 503, body: { error: { code: 'unavailable', message: 'starting' } } }
            : { status: 200, body: { minerId: 'm_late', minerToken: 'u'.repeat(40), status: 'active' } },
      },
    });
    rig.server.credentials.add(`m_late.${'u'.repeat(40)}`);
    const miner = await rig.start({ SERVER_URL: 'http://127.0.0.1:1' }); // nothing listens on port 1
    const health = await fetch(`http://127.0.0.1:${miner.port}/health`);
    expect(await health.json()).toMatchObject({ ok: true, status: 'enrolling', connected: false });
    await new Promise((r) => setTimeout(r, 200));
    expect(miner.status()).toBe('enrolling');
    await miner.stop();

    const later = await rig.start();
    await until(() => later.minerId() === 'm_late' && later.connected(), 8000, 'enrolled after retries');
    expect(answers).toBe(3);
    expect(rig.logEntries().some((l) => l.level === 'warn' && /enrolment failed: HTTP 503/.test(String(l.msg)))).toBe(true);
  });

  it('gives up with a clear error when the server rejects the request or answers nonsense', async () => {
    rig = await createRig({ server: { enroll: () => ({ status: 409, body: { error: { code: 'conflict', message: 'worker id already enrolled' } } }) } });
    const miner = await rig.start();
    await expect(miner.finished).rejects.toThrow(/rejected the enrolment request \(HTTP 409: worker id already enrolled\)/);
    expect(miner.status()).toBe('failed');
    await rig.close();

    rig = await createRig({ server: { enroll: () => ({ status: 200, body: { minerId: 'm_1', minerToken: 'short', status: 'active' } }) } });
    const other = await rig.start();
    await expect(other.finished).rejects.toThrow(/enrolment answer is not understood \(minerToken\)/);
    expect(loadIdentity(rig.stateDir)).toBeUndefined();
  });
});
