import pkg from '../package.json' with { type: 'json' };

// Set by the binary build (esbuild `define`); absent when run from source.
declare const __ONSITE_REVISION__: string | undefined;

/** Product version from package.json. */
export const VERSION: string = pkg.version;

/** Source revision of the build, or `source` when run from a checkout. */
export const REVISION: string = typeof __ONSITE_REVISION__ === 'string' ? __ONSITE_REVISION__ : 'source';
