import { parseArgs } from 'node:util';
import type { Env } from '../config.ts';
import type { Command, CommandIo } from './command.ts';

async function runHealthcheck(args: string[], env: Env, { out }: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'auth-env': { type: 'string' }, 'timeout-ms': { type: 'string', default: '4000' } },
  });
  const raw = positionals[0];
  if (!raw || !URL.canParse(raw)) {
    out('usage: onsite healthcheck URL [--auth-env NAME] [--timeout-ms N]');
    return 2;
  }
  const url = new URL(raw);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    out(`healthcheck: only loopback URLs are checked, not ${url.hostname}`);
    return 2;
  }
  const headers: Record<string, string> = {};
  const name = values['auth-env'];
  if (name) {
    const token = env[name];
    if (!token) {
      out(`healthcheck: ${name} is not set`);
      return 1;
    }
    headers.authorization = `Bearer ${token}`;
  }
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(Number(values['timeout-ms']) || 4000), redirect: 'manual' });
    const body = await res.text();
    if (res.status === 200) return 0;
    out(`healthcheck: ${url.pathname} answered ${res.status}: ${body.slice(0, 300)}`);
    return 1;
  } catch (err) {
    out(`healthcheck: ${url.pathname} did not answer: ${(err as Error).message}`);
    return 1;
  }
}

/**
 * `onsite healthcheck URL [--auth-env NAME]`: the container health check.
 * The images carry no curl, so the binary checks itself: exit 0 when the
 * URL answers 200 within the timeout, 1 otherwise. With `--auth-env`, the
 * value of that environment variable is sent as a bearer token (the browser
 * sidecar wants one on every call). Only loopback URLs are accepted: a
 * health check has no business anywhere else.
 */
export const healthcheckCommand: Command = {
  name: 'healthcheck',
  usage: [{ synopsis: 'healthcheck URL [--auth-env NAME]', summary: 'exit 0 when the loopback URL answers 200 (container health checks)' }],
  run: runHealthcheck,
};
