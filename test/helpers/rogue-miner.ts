import WebSocket from 'ws';
import {
  MINER_SOCKET_PATH,
  PROTOCOL_VERSION,
  parseFrame,
  serverFrameSchema,
  type AdvertisedModel,
  type MinerFrame,
  type ServerFrame,
} from '../../server/kernel/protocol/miner.ts';

/** A job frame the server sent. */
export type JobOf<T extends 'chat' | 'embed'> = Extract<ServerFrame, { type: T }>;

/**
 * A miner driven by the test, frame by frame, over the real protocol (HTTP
 * enrolment, then the WebSocket): it says and claims whatever the test
 * wants, as a misbehaving or malicious miner would.
 */
export interface RogueMiner {
  minerId: string;
  /** Every valid frame the server sent, oldest first. */
  frames: ServerFrame[];
  send(frame: MinerFrame): void;
  /** Sends text as it is (padding, broken JSON). */
  sendRaw(text: string): void;
  /** Resolves with the next chat or embed job not yet taken. */
  nextJob(timeoutMs?: number): Promise<JobOf<'chat'> | JobOf<'embed'>>;
  /** Resolves when the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** How a rogue miner enrols: the enrolment secret, or a registration token with its pairing key's hash. */
export type RogueEnrolment = { workerId: string; secret: string } | { workerId: string; registrationToken: string; pairingKeyHash: string };

/** A heartbeat advertising `count` models with long names, `tag` in the first name (to tell which one the server kept). */
export function largeHeartbeat(tag: string, count = 500): MinerFrame {
  const models: AdvertisedModel[] = Array.from({ length: count }, (_, i) => ({
    name: `${i === 0 ? tag : `m${i}`}-${'x'.repeat(180)}`,
    kind: 'chat',
    contextLength: 131_072,
  }));
  return { type: 'heartbeat', healthy: true, inflight: 0, models };
}

/** Enrols over HTTP on loopback, opens the miner WebSocket, says hello with `models` and waits for the welcome. */
export async function connectRogueMiner(url: string, enrolment: RogueEnrolment, models: AdvertisedModel[]): Promise<RogueMiner> {
  const res = await fetch(`${url}/api/miners/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(enrolment) });
  if (res.status !== 201) throw new Error(`rogue enrolment refused: ${res.status} ${await res.text()}`);
  const { minerId, minerToken } = (await res.json()) as { minerId: string; minerToken: string };
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${MINER_SOCKET_PATH}`, {
    headers: { authorization: `Bearer ${minerId}.${minerToken}` },
    perMessageDeflate: false,
  });
  const frames: ServerFrame[] = [];
  let taken = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data) => {
    const f = parseFrame(serverFrameSchema, data.toString());
    if (f) frames.push(f);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, version: 'rogue', workerId: enrolment.workerId, capacity: 4, healthy: true, models }));
  const poll = async <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (let hit = find(); ; hit = find()) {
      if (hit !== undefined) return hit;
      if (Date.now() > end) throw new Error(`rogue miner: no ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await poll(() => frames.find((f) => f.type === 'welcome'), 5000, 'welcome');
  return {
    minerId,
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (text) => ws.send(text),
    nextJob: (timeoutMs = 5000) =>
      poll(
        () => {
          const jobs = frames.filter((f): f is JobOf<'chat'> | JobOf<'embed'> => f.type === 'chat' || f.type === 'embed');
          return jobs.length > taken ? jobs[taken++] : undefined;
        },
        timeoutMs,
        'job',
      ),
    closed,
    async close() {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      await closed;
    },
  };
}
