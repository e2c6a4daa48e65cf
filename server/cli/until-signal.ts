/** Something running that can be asked to stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** The process events {@link untilSignal} listens to; `process` in the binary, a stand-in in tests. */
export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT' | 'disconnect', listener: () => void): unknown;
  /** Present when a parent process started this one with an IPC channel (`onsite dev`). */
  channel?: { unref(): void } | null;
}

/** Exit code of a process a second signal ended before it had stopped (128 + SIGINT, as shells report it). */
export const FORCED_EXIT = 130;

// One Ctrl-C can arrive more than once: the terminal signals the whole process group and npm
// forwards what it got too. Repeats this close to the first are that one request.
const REPEAT_MS = 2_000;

/**
 * Waits for SIGTERM or SIGINT, then stops `running` and resolves with exit
 * code 0 (rejects when stopping fails). A process started with an IPC
 * channel (a child of `onsite dev`) also stops when that channel closes:
 * then its parent is gone, even by SIGKILL, and nothing else would end it.
 * A signal more than 2 s after the first, while stopping, resolves at once
 * with {@link FORCED_EXIT}: a second Ctrl-C does not wait for the shutdown.
 */
export function untilSignal(running: Stoppable, source: SignalSource = process, now: () => number = Date.now): Promise<number> {
  return new Promise((resolve, reject) => {
    let firstAt: number | undefined;
    const request = () => {
      if (firstAt === undefined) {
        firstAt = now();
        running.stop().then(() => resolve(0), reject);
      } else if (now() - firstAt > REPEAT_MS) resolve(FORCED_EXIT);
    };
    source.on('SIGTERM', request);
    source.on('SIGINT', request);
    if (source.channel) {
      source.on('disconnect', () => firstAt === undefined && request()); // a parent gone never forces
      source.channel.unref(); // the channel alone must not keep a stopped process alive
    }
  });
}
