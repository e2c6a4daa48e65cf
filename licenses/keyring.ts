import vendorKeys from './keys/vendor-public-keys.json' with { type: 'json' };
import type { Keyring } from './activation-code.ts';

// Set by the binary build: development public keys for non-release builds
// only. A release build defines it as an empty object.
declare const __ONSITE_DEV_LICENSE_KEYS__: Record<string, string> | undefined;

/**
 * The public keys this build trusts, fixed at build time: the vendor's
 * production keys, plus development keys in non-release builds. Nothing at
 * run time (environment, database, files) can add a key.
 */
export function compiledKeyring(): Keyring {
  const dev = typeof __ONSITE_DEV_LICENSE_KEYS__ === 'object' ? __ONSITE_DEV_LICENSE_KEYS__ : {};
  return Object.freeze({ ...dev, ...(vendorKeys as Record<string, string>) });
}
