import { describeReset } from '../auth/account.service.ts';
import { loadConfig, type Env } from '../config.ts';
import { AppError } from '../kernel/errors.ts';
import { createLogger } from '../kernel/log.ts';
import { assembleServer } from './assemble.ts';
import type { Command, CommandIo } from './command.ts';
import { runRotateKey } from './secrets.ts';

const CLI_ACTOR = { label: 'cli' };

async function runAdmin(args: string[], env: Env, io: CommandIo): Promise<number> {
  const { out } = io;
  const [sub, arg] = args;
  // Not beside a running server: it takes the data folder's lock before opening anything.
  if (sub === 'rotate-key') return runRotateKey(args.slice(1), env, io);
  const { identity, close } = await assembleServer(loadConfig(env), createLogger({ level: 'warn' }));
  try {
    if (sub === 'list') {
      for (const u of identity.users.list()) out(`${u.email}\t${u.role}\t${u.status}\t${u.name}`);
      return 0;
    }
    if (sub === 'reset-password' && arg) {
      const user = identity.users.list().find((u) => u.email === arg.trim().toLowerCase());
      if (!user) throw new AppError('not_found', `no account with the email ${arg}`);
      const link = identity.users.resetLink(user.id, CLI_ACTOR);
      identity.login.unlock(user.email);
      identity.audit.record({ actor: CLI_ACTOR, action: 'admin.reset_password', target: user.id, details: { email: user.email } });
      out(`One-time password reset link for ${user.email} (valid until ${link.expiresAt.toISOString()}):`);
      out(link.url);
      out(`Open it in a browser and choose a new password. ${describeReset(identity.keys.activeCount(user.id))} Its sign-in waits are lifted now.`);
      return 0;
    }
    if (sub === 'reset-mfa' && arg) {
      const user = identity.users.list().find((u) => u.email === arg.trim().toLowerCase());
      if (!user) throw new AppError('not_found', `no account with the email ${arg}`);
      const { sessionsRevoked } = identity.mfa.reset(user.id, CLI_ACTOR);
      out(`Two-step sign-in of ${user.email} removed; ${sessionsRevoked} session(s) signed out.`);
      out('The next password sign-in goes without a code; where MFA_REQUIRED covers the account, it must set up a new authenticator first.');
      return 0;
    }
    if (sub === 'ldap-sync') {
      if (!identity.ldap) throw new AppError('bad_request', 'LDAP is not configured (LDAP_URL)');
      const r = await identity.ldap.sync.run(CLI_ACTOR);
      for (const d of r.deactivated) out(`deactivated\t${d.label ?? ''}\t${d.reason}`);
      for (const k of r.kept) out(`unchanged\t${k.label ?? ''}\t${k.reason} (already deactivated, or the last active admin)`);
      out(`${r.checked} directory accounts checked, ${r.deactivated.length} deactivated`);
      return 0;
    }
    out(
      'usage: onsite admin reset-password EMAIL | onsite admin reset-mfa EMAIL | onsite admin list | onsite admin ldap-sync | onsite admin rotate-key [--forget-unreadable]',
    );
    return 2;
  } finally {
    close();
  }
}

/**
 * `onsite admin reset-password EMAIL | reset-mfa EMAIL | list | ldap-sync | rotate-key`: operator commands
 * that need shell access to the host (lockout recovery, key rotation).
 * Every action is audited.
 */
export const adminCommand: Command = {
  name: 'admin',
  usage: [
    { synopsis: 'admin reset-password EMAIL', summary: "print a one-time reset link and lift the account's lockout" },
    { synopsis: 'admin reset-mfa EMAIL', summary: "remove an account's two-step sign-in (a lost device) and sign out its sessions" },
    { synopsis: 'admin list', summary: 'list accounts' },
    { synopsis: 'admin ldap-sync', summary: 'look up every LDAP account in the directory now; deactivate those removed or disabled there' },
    {
      synopsis: 'admin rotate-key [--forget-unreadable]',
      summary:
        're-seal every stored secret under DB_ENCRYPTION_KEY, opening old ones with\nDB_ENCRYPTION_KEY_PREVIOUS (server stopped; --forget-unreadable: delete\nthose no configured key opens)',
    },
  ],
  run: runAdmin,
};
