// The fast unit tests (npm test): everything in test/vitest.config.ts but the
// tests that drive Chromium, Docker, the built binary or child processes, or
// wait on real timers. `bash test/run.sh` still runs every test.
import { existsSync } from 'node:fs';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

const root = new URL('..', import.meta.url).pathname;

// Whole folders: end-to-end runs (the bundle's Docker one too), the single binary, pages in Chromium.
const SLOW_FOLDERS = ['test/e2e/**', 'test/binary/**', 'test/**/*.browser.test.ts'];

const SLOW_FILES = [
  // A real Chromium.
  'test/browser/pool.test.ts',
  'test/browser/pool.load.test.ts',
  'test/browser/http.test.ts',
  // A real OpenID provider on loopback.
  'test/server/auth/oidc.test.ts',
  // Child processes: the CLI and onsite dev, bash running the scripts, the vendor CLI, drizzle-kit, openssl, the Ollama fixture, extraction workers.
  'test/fixtures/ollama.test.ts',
  'test/licenses/activation-code.test.ts',
  'test/miner/start.test.ts',
  'test/scripts/init.test.ts',
  'test/scripts/update.test.ts',
  'test/server/cli/dev.test.ts',
  'test/server/cli/main.test.ts',
  'test/server/auth/login.test.ts',
  'test/server/cli/serve.test.ts',
  'test/server/db/client.crash.test.ts',
  'test/server/db/data-lock.test.ts',
  'test/server/db/schema.test.ts',
  'test/server/init/run.test.ts',
  'test/server/init/tls.test.ts',
  'test/server/knowledge/extract/isolate.bundle.test.ts',
  'test/server/knowledge/extract/isolate.test.ts',
  'test/server/license/license.test.ts',
  // A real OpenLDAP slapd (test/helpers/slapd.ts).
  'test/server/auth/ldap-directory.test.ts',
  'test/server/auth/ldap-login.test.ts',
  'test/server/auth/ldap-sync.test.ts',
  // Real timers and volume: reconnect delays, probation probes, 24,000 vectors, hundreds of password hashes.
  'test/miner/connection.test.ts',
  'test/server/chat/chat.faults.test.ts',
  'test/server/cli/knowledge-commands.test.ts',
  'test/server/auth/sign-in-throttle.test.ts',
  'test/server/auth/setup.test.ts',
];

// A moved or renamed file would silently join the fast set: name it here again.
const missing = SLOW_FILES.filter((f) => !existsSync(`${root}${f}`));
if (missing.length > 0) throw new Error(`test/vitest.unit.config.ts names tests that do not exist: ${missing.join(', ')}`);

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...SLOW_FOLDERS, ...SLOW_FILES],
      // One process for all files, its imports kept: re-importing the server for each file
      // was half the time. These files build their state in factories (createTestServer,
      // tinyApp) and restore what they change (spies, umask); the full run keeps isolation.
      isolate: false,
    },
  }),
);
