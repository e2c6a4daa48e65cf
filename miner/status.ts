/**
 * Where a miner stands: `enrolling` and `connecting` before the server's
 * welcome; then the server's word (`active`, `pending` until an admin
 * confirms the pairing key, `disabled`); `revoked` when the server refused
 * the identity; `failed` after a fatal start-up error; `stopped` at the end.
 */
export type MinerStatus = 'enrolling' | 'connecting' | 'active' | 'pending' | 'disabled' | 'revoked' | 'failed' | 'stopped';

/**
 * Formats the line a remote miner prints while it waits for an admin: the
 * pairing key is not a credential on its own (it only confirms a miner that
 * already holds a registration token), and showing it is the point.
 */
export function pairingKeyLine(key: string): string {
  return `PAIRING KEY: ${key} — ask an admin to confirm it on the Miners page`;
}
