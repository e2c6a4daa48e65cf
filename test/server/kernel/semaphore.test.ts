import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../server/kernel/semaphore.ts';

describe('semaphore', () => {
  it('grants up to its limit, then makes callers wait in order', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire(0);
    const b = await s.acquire(0);
    expect([typeof a, typeof b]).toEqual(['function', 'function']);
    expect(await s.acquire(0)).toBeUndefined();
    const order: string[] = [];
    const c = s.acquire(1000).then((r) => (order.push('c'), r));
    const d = s.acquire(1000).then((r) => (order.push('d'), r));
    expect([s.inUse, s.waiting]).toEqual([2, 2]);
    a!();
    a!(); // a second release changes nothing
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect([s.inUse, s.waiting]).toEqual([2, 1]);
    b!();
    (await d)!();
    releaseC!();
    expect([s.inUse, s.waiting]).toEqual([0, 0]);
  });

  it('gives up after the wait, and on abort with the reason', async () => {
    const s = new Semaphore(1);
    const held = await s.acquire(0);
    const t0 = Date.now();
    expect(await s.acquire(50)).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    const waiting = s.acquire(5000, ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    await expect(s.acquire(10, ac.signal)).rejects.toThrow('gone');
    expect(s.waiting).toBe(0);
    held!();
    expect(s.inUse).toBe(0);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
