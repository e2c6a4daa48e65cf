import { afterEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_BURST, HEARTBEAT_FLOOD_LIMIT } from '../../../server/miners/miners.socket.ts';
import { SEEN_WRITE_EVERY_MS } from '../../../server/miners/last-seen.ts';
import { CLOSE, MAX_HEARTBEAT_BYTES } from '../../../server/kernel/protocol/miner.ts';
import { connectRogueMiner, largeHeartbeat, type RogueMiner } from '../../helpers/rogue-miner.ts';
import { testClock } from '../../helpers/server.ts';
import { CHAT_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

// The server's clock stands still unless a test moves it, so the rate limit and the write coalescing are exact.
describe('miner heartbeats: rate limit and coalesced lastSeen writes', () => {
  let st: Stack | undefined;
  let rogue: RogueMiner | undefined;
  afterEach(async () => {
    await rogue?.close();
    await st?.close();
    st = rogue = undefined;
  });

  const setup = async () => {
    const clock = testClock(Date.now());
    st = await startStack({ miners: 0, clock: clock.now });
    rogue = await connectRogueMiner(st.url, { workerId: 'bundled', secret: st.s.config.MINER_ENROLLMENT_SECRET }, [{ name: CHAT_MODEL, kind: 'chat' }]);
    await until(() => st!.s.registry.get(rogue!.minerId) !== undefined, 5000, 'the miner to be registered');
    // Rows changed on the server's database connection so far (every INSERT/UPDATE/DELETE counts).
    const changes = () => (st!.s.db.sqlite.prepare('select total_changes() as n').get() as { n: number }).n;
    const firstModel = () => st!.s.miners.get(rogue!.minerId)!.models![0]!.name;
    return { stack: st, miner: rogue, clock, changes, firstModel };
  };

  it('400 large heartbeats in a burst: the first few are applied, the rest dropped, the socket closed with 4004, a handful of database writes', async () => {
    const { stack, miner, changes, firstModel } = await setup();
    const before = changes();
    for (let i = 0; i < 400; i++) miner.send(largeHeartbeat(`beat${i}`));
    expect(await miner.closed).toEqual({ code: CLOSE.flooding, reason: 'too many heartbeats' });
    await until(() => stack.s.registry.get(miner.minerId) === undefined, 5000, 'the server to forget the connection');
    // One write of what the accepted heartbeats said (at the disconnect) and one audit row.
    expect(changes() - before).toBeLessThanOrEqual(3);
    // The last heartbeat applied is the last one the bucket let through; every later one changed nothing.
    expect(firstModel()).toMatch(new RegExp(`^beat${HEARTBEAT_BURST - 1}-`));
    const flood = stack.s.identity.audit.list({ action: 'miner.heartbeat_flood' });
    expect(flood).toHaveLength(1);
    expect(flood[0]).toMatchObject({ outcome: 'failure', target: miner.minerId, details: { dropped: HEARTBEAT_FLOOD_LIMIT } });
    expect(stack.s.logs.text()).toMatch(/dropped a heartbeat over the rate or size limit/);
  });

  it('heartbeats at the honest pace are all applied, and lastSeen is written at most once every few seconds', async () => {
    const { stack, miner, clock, changes, firstModel } = await setup();
    const before = changes();
    const beats = 30; // one a second (MINER_HEARTBEAT_INTERVAL=1), for 30 s of the server's clock
    for (let i = 0; i < beats; i++) {
      clock.advance(1000);
      miner.send(largeHeartbeat(`beat${i}`, 5));
      await until(() => stack.s.registry.get(miner.minerId)!.models[0]!.name.startsWith(`beat${i}-`), 5000, `heartbeat ${i} to be applied`);
    }
    expect(changes() - before).toBeLessThanOrEqual(beats / (SEEN_WRITE_EVERY_MS / 1000) + 1);
    expect(changes() - before).toBeGreaterThan(0);
    await miner.close();
    await until(() => stack.s.registry.get(miner.minerId) === undefined, 5000, 'the disconnect');
    // What came after the last write is written when the miner goes: nothing is lost.
    expect(firstModel()).toMatch(new RegExp(`^beat${beats - 1}-`));
    expect(stack.s.identity.audit.list({ action: 'miner.heartbeat_flood' })).toHaveLength(0);
  });

  it('a heartbeat larger than the size limit is dropped even within the rate (JSON padding cannot make one expensive)', async () => {
    const { stack, miner } = await setup();
    miner.sendRaw(JSON.stringify(largeHeartbeat('padded', 5)).replace('{', `{${' '.repeat(MAX_HEARTBEAT_BYTES)}`));
    miner.send(largeHeartbeat('small', 5));
    await until(() => stack.s.registry.get(miner.minerId)!.models[0]?.name.startsWith('small-') === true, 5000, 'the small heartbeat');
    expect(stack.s.logs.lines.some((l) => /dropped a heartbeat over the rate or size limit/.test(l) && JSON.parse(l).bytes > MAX_HEARTBEAT_BYTES)).toBe(true);
  });
});
