import type { Socket } from 'node:net';

const corked = new WeakSet<Socket>();

/**
 * Holds a WebSocket's frames until the next turn of the event loop and then
 * writes them together. Frames produced in one turn (the tokens of many
 * streams, the jobs of a burst of requests) would each be their own system
 * call; corked they leave in one write, unchanged and in order, and nothing
 * waits for anything that has not been produced yet. `_socket` is the ws
 * library's own field; without it frames simply go one by one.
 */
export function corkUntilNextTurn(ws: object): void {
  const raw = (ws as { _socket?: Socket })._socket;
  if (!raw || corked.has(raw)) return;
  corked.add(raw);
  raw.cork();
  setImmediate(() => {
    corked.delete(raw);
    raw.uncork();
  });
}
