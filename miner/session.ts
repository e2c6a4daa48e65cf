import type { Log } from '../server/kernel/log.ts';
import { PROTOCOL_VERSION, type MinerFrame, type ServerFrame } from '../server/kernel/protocol/miner.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { MinerConfig } from './config.ts';
import { openConnection, type Connection } from './connection.ts';
import { createJobRunner } from './jobs.ts';
import type { OllamaProbe } from './probe.ts';
import type { MinerIdentity } from './state.ts';
import { pairingKeyLine, type MinerStatus } from './status.ts';

/** What a session needs: an enrolled identity and the miner's parts. */
export interface SessionDeps {
  config: MinerConfig;
  identity: MinerIdentity;
  version: string;
  log: Log;
  probe: OllamaProbe;
  /** Writes a line for the operator (the pairing key). */
  print(line: string): void;
  /** Status from a fresh enrolment, until the server's welcome says otherwise. */
  initialStatus?: MinerStatus | undefined;
  backoff?: BackoffPolicy | undefined;
}

/** A miner connected (or reconnecting) to its server and running its jobs. */
export interface Session {
  status(): MinerStatus;
  connected(): boolean;
  /** Closes the socket (1000) and aborts running jobs. */
  close(): Promise<void>;
}

const ADVERTISED_MAX = 500;

/**
 * Starts a session: opens the connection, answers the server's frames
 * (welcome, status, chat, embed, cancel) and prints the pairing key once
 * while the server says the miner is pending.
 */
export function startSession(deps: SessionDeps): Session {
  const { config, identity, log, probe } = deps;
  let status: MinerStatus = deps.initialStatus ?? 'connecting';
  let keyPrinted = false;

  function setStatus(next: MinerStatus): void {
    if (next !== status) {
      if (next === 'pending') log.info(identity.pairingKey ? 'waiting for an admin to confirm the pairing key' : 'waiting for an admin to approve this miner');
      else if (next === 'disabled') log.warn('an admin disabled this miner; it gets no jobs until it is enabled again');
      else log.info({ status: next }, 'miner status');
    }
    status = next;
    if (status === 'pending' && identity.pairingKey && !keyPrinted) {
      keyPrinted = true;
      deps.print(pairingKeyLine(identity.pairingKey));
    }
  }
  setStatus(status);

  const jobs = createJobRunner({
    ollamaHost: config.OLLAMA_HOST,
    capacity: config.MINER_CAPACITY,
    log,
    send: (frame) => connection.send(frame),
    admit() {
      if (status !== 'active') return { code: 'bad_job', message: `this miner is ${status}, not active` };
      const ollama = probe.last();
      if (ollama.healthy) return undefined;
      void probe.check(); // look again now, so a recovered Ollama is noticed before the next heartbeat (check never rejects: a failure is its result)
      return { code: 'ollama_unreachable', message: ollama.problem ?? 'Ollama is unreachable' };
    },
  });

  async function hello(): Promise<MinerFrame> {
    const ollama = await probe.check();
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      version: deps.version.slice(0, 64),
      workerId: identity.workerId,
      capacity: config.MINER_CAPACITY,
      healthy: ollama.healthy,
      models: ollama.models.slice(0, ADVERTISED_MAX),
    };
  }

  async function heartbeat(): Promise<MinerFrame> {
    const ollama = await probe.check();
    return {
      type: 'heartbeat',
      healthy: ollama.healthy,
      inflight: jobs.inflight(),
      models: ollama.models.slice(0, ADVERTISED_MAX),
      ...(ollama.problem && !ollama.healthy ? { problem: ollama.problem.slice(0, 500) } : {}),
    };
  }

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        if (frame.minerId !== identity.minerId) log.warn({ minerId: frame.minerId }, 'the server welcomed another miner id than the saved one');
        connection.setHeartbeatInterval(frame.heartbeatIntervalS);
        setStatus(frame.status);
        break;
      case 'status':
        setStatus(frame.status);
        break;
      case 'chat':
      case 'embed':
        jobs.start(frame);
        break;
      case 'cancel':
        jobs.cancel(frame.jobId);
        break;
    }
  }

  const connection: Connection = openConnection({
    serverUrl: config.SERVER_URL,
    credential: `${identity.minerId}.${identity.minerToken}`,
    heartbeatIntervalS: config.MINER_HEARTBEAT_INTERVAL,
    log,
    hello,
    heartbeat,
    onFrame,
    onDisconnect: () => jobs.abortAll(),
    onRevoked: () => setStatus('revoked'),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  });

  return {
    status: () => status,
    connected: () => connection.connected(),
    async close() {
      await connection.close();
      jobs.abortAll();
      await jobs.settled();
    },
  };
}
