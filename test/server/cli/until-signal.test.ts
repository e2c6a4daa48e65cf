import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FORCED_EXIT, untilSignal } from '../../../server/cli/until-signal.ts';

// A stand-in for `process`: signals are events the test emits.
function fakeProcess(withChannel = false) {
  const events = new EventEmitter();
  let unrefs = 0;
  const source = Object.assign(events, withChannel ? { channel: { unref: () => void unrefs++ } } : {});
  return { source, unrefs: () => unrefs };
}

function stoppable() {
  let stops = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { running: { stop: () => (stops++, done) }, stops: () => stops, finish };
}

describe('untilSignal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops once and resolves 0 when stopped; a repeat close to it is the same request', async (signal) => {
    const { source } = fakeProcess();
    const s = stoppable();
    let clock = 1_000;
    let code: number | undefined;
    void untilSignal(s.running, source, () => clock).then((c) => (code = c));
    source.emit(signal);
    clock += 500;
    source.emit('SIGINT'); // npm forwarding the Ctrl-C the terminal already sent
    source.emit('SIGTERM');
    expect(s.stops()).toBe(1);
    await Promise.resolve();
    expect(code).toBeUndefined(); // still stopping
    s.finish();
    await new Promise((r) => setImmediate(r));
    expect(code).toBe(0);
  });

  it('a second signal later than that ends the wait at once with 130, without stopping again', async () => {
    const { source } = fakeProcess();
    const s = stoppable();
    let clock = 0;
    const code = untilSignal(s.running, source, () => clock);
    source.emit('SIGINT');
    clock += 2_500;
    source.emit('SIGINT');
    expect(await code).toBe(FORCED_EXIT);
    expect(s.stops()).toBe(1);
  });

  it('stops when the parent’s IPC channel closes (a child of onsite dev), and lets the channel not hold the process', async () => {
    const { source, unrefs } = fakeProcess(true);
    const s = stoppable();
    const code = untilSignal(s.running, source);
    expect(unrefs()).toBe(1);
    source.emit('disconnect');
    source.emit('disconnect');
    expect(s.stops()).toBe(1);
    s.finish();
    expect(await code).toBe(0);
  });

  it('without a channel, a disconnect event is not listened to; a failed stop rejects', async () => {
    const { source } = fakeProcess();
    const s = stoppable();
    void untilSignal(s.running, source);
    expect(source.listenerCount('disconnect')).toBe(0);
    const failing = untilSignal({ stop: () => Promise.reject(new Error('disk gone')) }, source);
    source.emit('SIGTERM');
    await expect(failing).rejects.toThrow('disk gone');
  });
});
