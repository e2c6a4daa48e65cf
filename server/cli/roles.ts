import { VERSION } from '../version.ts';
import type { Command } from './command.ts';
import { untilSignal } from './until-signal.ts';

// The roles load on demand: a server never needs the miner's or the sidecar's modules in memory.

/** `onsite miner`: an inference worker, until SIGTERM or SIGINT; exits 1 when it cannot start. */
export const minerCommand: Command = {
  name: 'miner',
  usage: [{ synopsis: 'miner', summary: 'run an inference worker: enroll with SERVER_URL, run jobs on OLLAMA_HOST' }],
  async run(_args, env) {
    const { startMiner } = await import('../../miner/start.ts');
    const running = await startMiner(env, { version: VERSION });
    // `finished` rejects when the miner cannot start (a refused enrolment request).
    return Promise.race([untilSignal(running), running.finished.then(() => 0)]);
  },
};

/** `onsite browser`: the browser sidecar, until SIGTERM or SIGINT. */
export const browserCommand: Command = {
  name: 'browser',
  usage: [{ synopsis: 'browser', summary: 'run the browser sidecar: POST /fetch with pooled headless Chromium behind an SSRF guard' }],
  async run(_args, env) {
    const { startBrowser } = await import('../../browser/start.ts');
    return untilSignal(await startBrowser(env, { version: VERSION }));
  },
};
