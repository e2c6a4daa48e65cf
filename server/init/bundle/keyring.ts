import type { Keyring } from '../../../licenses/activation-code.ts';
import bundleKeys from '../../../licenses/keys/bundle-signing-keys.json' with { type: 'json' };

// Set by the binary build: development bundle-signing keys for non-release
// builds only (bundle/build-binary.ts). A release build defines it as {}.
declare const __ONSITE_DEV_BUNDLE_KEYS__: Record<string, string> | undefined;

/**
 * The bundle-signing public keys this build trusts, fixed at build time:
 * the vendor's keys from licenses/keys/bundle-signing-keys.json, plus a
 * development key in non-release builds. Nothing at run time can add one,
 * so a tampered bundle cannot bring its own key.
 */
export function compiledBundleKeyring(): Keyring {
  const dev = typeof __ONSITE_DEV_BUNDLE_KEYS__ === 'object' ? __ONSITE_DEV_BUNDLE_KEYS__ : {};
  return Object.freeze({ ...dev, ...(bundleKeys as Record<string, string>) });
}
