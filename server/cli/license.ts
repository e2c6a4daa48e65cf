import { loadConfig, type Env } from '../config.ts';
import type { LicenseState } from '../license/license.service.ts';
import { createLogger } from '../kernel/log.ts';
import { assembleServer } from './assemble.ts';
import type { Command, CommandIo } from './command.ts';

const CLI_ACTOR = { label: 'cli' };

function describe(s: LicenseState, out: (line: string) => void): void {
  out(`state: ${s.mode}`);
  out(`installation: ${s.installationId}`);
  out(`seats: ${s.seatsUsed} used of ${s.seats}${s.overSeats ? ' (over the limit: deactivate users)' : ''}`);
  if (s.customer) out(`customer: ${s.customer} (${s.licenseId})`);
  if (s.expiresAt) out(`expires: ${s.expiresAt.toISOString()} (${s.daysLeft} days left; grace until ${s.graceEndsAt?.toISOString()})`);
  if (s.features.length) out(`features: ${s.features.join(', ')}`);
  if (s.clockBehind) out(`WARNING: the system clock is behind the latest time seen (${s.latestSeen.toISOString()})`);
}

async function runLicense(args: string[], env: Env, { out }: CommandIo): Promise<number> {
  const [sub, code] = args;
  const { license, close } = await assembleServer(loadConfig(env), createLogger({ level: 'warn' }));
  try {
    if (sub === 'status') describe(license.state(), out);
    else if (sub === 'request') out(license.requestCode(CLI_ACTOR));
    else if (sub === 'install' && code) {
      describe(license.install(code, CLI_ACTOR), out);
      out('activation code installed');
    } else {
      out('usage: onsite license status | request | install CODE');
      return 2;
    }
    return 0;
  } finally {
    close();
  }
}

/** `onsite license status | request | install CODE`, for operators with shell access. */
export const licenseCommand: Command = {
  name: 'license',
  usage: [
    { synopsis: 'license status', summary: 'show the license state, seats and expiry' },
    { synopsis: 'license request', summary: 'print a request code for the vendor' },
    { synopsis: 'license install CODE', summary: 'install an activation code from the vendor' },
  ],
  run: runLicense,
};
