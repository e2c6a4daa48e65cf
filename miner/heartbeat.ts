import type WebSocket from 'ws';
import type { Log } from '../server/kernel/log.ts';
import type { MinerFrame } from '../server/kernel/protocol/miner.ts';

/** Heartbeats and the dead-server watchdog of one open socket. */
export interface Heartbeat {
  /** Starts beating on a freshly opened socket. */
  start(ws: WebSocket): void;
  stop(): void;
  /** Records that the server showed signs of life (a frame or a pong). */
  seen(): void;
  /** Changes the interval (the welcome frame's heartbeatIntervalS), restarting the timer. */
  setInterval(seconds: number): void;
}

/** Silent intervals after which the server counts as dead. */
export const DEAD_AFTER_INTERVALS = 3;

/**
 * Creates the heartbeat: every interval it pings the socket and sends a
 * heartbeat frame built by `build` (which re-checks Ollama). A half-open
 * TCP connection never closes on its own, so when nothing (frame or pong)
 * came back for {@link DEAD_AFTER_INTERVALS} intervals the socket is
 * terminated and the connection loop reconnects.
 */
export function createHeartbeat(intervalS: number, log: Log, build: () => Promise<MinerFrame>, send: (frame: MinerFrame) => boolean): Heartbeat {
  let intervalMs = intervalS * 1000;
  let socket: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSeen = Date.now();
  let building = false;

  function tick(): void {
    const ws = socket;
    if (!ws) return;
    const silentMs = Date.now() - lastSeen;
    if (silentMs > DEAD_AFTER_INTERVALS * intervalMs) {
      log.warn({ silentS: Math.round(silentMs / 1000) }, 'no sign of life from the server; dropping the connection and reconnecting');
      ws.terminate();
      return;
    }
    ws.ping();
    // A slow Ollama check must not pile up heartbeats.
    if (building) return;
    building = true;
    build()
      .then((frame) => {
        if (socket === ws) send(frame);
      })
      .catch((err: unknown) => log.error({ err }, 'cannot build a heartbeat'))
      .finally(() => {
        building = false;
      });
  }

  function arm(): void {
    clearInterval(timer);
    timer = socket ? setInterval(tick, intervalMs) : undefined;
  }

  return {
    start(ws) {
      socket = ws;
      lastSeen = Date.now();
      arm();
    },
    stop() {
      socket = undefined;
      arm();
    },
    seen() {
      lastSeen = Date.now();
    },
    setInterval(seconds) {
      if (seconds * 1000 === intervalMs) return;
      intervalMs = seconds * 1000;
      arm();
    },
  };
}
