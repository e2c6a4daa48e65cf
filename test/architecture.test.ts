import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// One-way imports (STYLE.md): cli → http/ui → services → stores → db; the
// kernel (server/kernel: errors, logging, protocol, small libs) imports nothing
// of the app; miner/, browser/ and licenses/ use only the kernel of the server;
// pages and routes never touch db/.
const RANK: Array<[RegExp, number, string]> = [
  [/^server\/kernel\//, 0, 'kernel'],
  [/^server\/(config|version)\.ts$/, 1, 'core'],
  [/^server\/db\//, 2, 'db'],
  [/^server\/cli\//, 5, 'cli'],
  [/^server\/(http|ui)\//, 4, 'http/ui'],
  [/^server\//, 3, 'service'],
];

function layerOf(file: string): { rank: number; name: string } | undefined {
  for (const [re, rank, name] of RANK) if (re.test(file)) return { rank, name };
  return undefined;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)));
}

const productionFiles = () => ['server', 'miner', 'browser', 'licenses'].filter((d) => existsSync(d)).flatMap((d) => sources(d));

/** The imports of these files that reach into test/ (benchmark layouts, fixtures, helpers). */
function testImports(files: string[]): string[] {
  return files.flatMap((file) => imports(file).filter((target) => target.startsWith('test/')).map((target) => `${file} → ${target}`));
}

/** The import cycles among these files, each as its sorted files (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, order.size);
    low.set(v, order.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!order.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== order.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

const importGraph = (files: string[]) => new Map(files.map((file) => [file, imports(file)]));

/** The forbidden arrows of this import graph (file → its imports), each as `from → to: rule`. */
function violations(graph: Map<string, string[]> = importGraph(productionFiles())): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    for (const target of targets) {
      const to = layerOf(target);
      const rel = `${file} → ${relative('.', target)}`;
      if (/^(miner|browser|licenses)\//.test(file)) {
        if (target.startsWith('server/') && !target.startsWith('server/kernel/')) found.push(`${rel}: roles use only server/kernel`);
        continue;
      }
      if (file.startsWith('server/kernel/')) {
        if (!target.startsWith('server/kernel/')) found.push(`${rel}: the kernel imports nothing of the app`);
        continue;
      }
      if (target.startsWith('licenses/vendor/') && !file.startsWith('licenses/vendor/')) found.push(`${rel}: the vendor tool is never part of the product`);
      if (!from || !to) continue;
      if (/^(miner|browser)\//.test(target) && from.name !== 'cli') found.push(`${rel}: only the CLI starts other roles`);
      if (to.rank > from.rank) found.push(`${rel}: ${from.name} must not import ${to.name}`);
      if (from.name === 'http/ui' && to.name === 'db') found.push(`${rel}: routes and pages never import db/`);
    }
  }
  return found;
}

describe('architecture', () => {
  it('imports point one way only', () => {
    expect(violations()).toEqual([]);
  });

  it('detects a violation (the check itself works)', () => {
    expect(layerOf('server/kernel/x.ts')!.rank).toBeLessThan(layerOf('server/db/client.ts')!.rank);
    expect(layerOf('server/http/app.ts')!.rank).toBeGreaterThan(layerOf('server/auth/service.ts')!.rank);
    expect(imports('server/http/app.ts')).toContain(normalize('server/kernel/errors.ts'));
    // Each role rule catches its forbidden arrow; the kernel stays reachable from every role.
    const bad = new Map([
      ['miner/x.ts', ['server/kernel/errors.ts', 'server/config.ts']],
      ['browser/x.ts', ['server/kernel/protocol/browser.ts', 'server/http/app.ts']],
      ['licenses/x.ts', ['server/kernel/seal.ts', 'server/init/run.ts']],
      ['server/kernel/x.ts', ['server/kernel/errors.ts', 'server/config.ts', 'licenses/activation-code.ts']],
    ]);
    expect(violations(bad)).toEqual([
      'miner/x.ts → server/config.ts: roles use only server/kernel',
      'browser/x.ts → server/http/app.ts: roles use only server/kernel',
      'licenses/x.ts → server/init/run.ts: roles use only server/kernel',
      'server/kernel/x.ts → server/config.ts: the kernel imports nothing of the app',
      'server/kernel/x.ts → licenses/activation-code.ts: the kernel imports nothing of the app',
    ]);
  });

  it('production code never imports test/', () => {
    expect(testImports(productionFiles())).toEqual([]);
    // The check itself: a test importing a test helper is caught.
    const test = 'test/bench/vector-layouts/layouts.test.ts';
    expect(testImports([test])).toContain(`${test} → test/helpers/vector-index-contract.ts`);
  });

  // Only the knowledge folder for now: server/chat/page-context.ts and
  // web-pages.ts still import each other.
  it('the knowledge folder has no import cycle', () => {
    expect(cycles(importGraph(sources('server/knowledge')))).toEqual([]);
    // The check itself: a circle of three is found, a file merely importing it is not part of it.
    const circle = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'x']], ['d', ['a']], ['e', ['e']]]);
    expect(cycles(circle)).toEqual([['a', 'b', 'c'], ['e']]);
  });
});
