import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The layout rules of ARCHITECTURE.md, checked on the import graph. Each rule
 * has its own deliberately bad arrow among the negative cases below, so a
 * rule that stops working fails here too.
 */

/** What a file is, from its path: a shell folder, or a feature's layer from its name's role suffix. */
export type Role = 'kernel' | 'core' | 'db' | 'root' | 'http' | 'ui' | 'routes' | 'pages' | 'schemas' | 'views' | 'service' | 'types' | 'store' | 'internal';

/** Feature folders are every folder of server/ but these. */
const SHELLS: Record<string, Role> = { kernel: 'kernel', db: 'db', cli: 'root', http: 'http', ui: 'ui' };

const SUFFIX: Array<[RegExp, Role]> = [
  [/\.(routes|socket)\.ts$/, 'routes'],
  [/\.pages?\.tsx$/, 'pages'],
  [/\.schemas\.ts$/, 'schemas'],
  [/\.views\.ts$/, 'views'],
  [/\.service\.ts$/, 'service'],
  [/\.types\.ts$/, 'types'],
  [/\.store\.ts$/, 'store'],
];

/** The role of a server file and its feature folder (none for the shells and server/*.ts). */
export function roleOf(file: string): { role: Role; feature?: string } | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'server') return undefined;
  if (parts.length === 2) return { role: file === 'server/app.ts' ? 'root' : 'core' };
  const shell = SHELLS[parts[1]!];
  if (shell) return { role: shell };
  const suffix = SUFFIX.find(([re]) => re.test(file));
  return { role: suffix ? suffix[1] : 'internal', feature: parts[1]! };
}

// What each role may import, by the target's role. "Own" roles are only those of the
// importer's own feature; of another feature only its interface (INTERFACE) is reachable.
const MAY: Record<Role, Role[]> = {
  kernel: ['kernel'],
  core: ['kernel', 'core'],
  db: ['kernel', 'core', 'db'],
  root: ['kernel', 'core', 'db', 'root', 'http', 'ui', 'routes', 'pages', 'schemas', 'views', 'service', 'types', 'store', 'internal'],
  store: ['kernel', 'core', 'db', 'store', 'internal', 'types'],
  internal: ['kernel', 'core', 'db', 'store', 'internal', 'service', 'types'],
  service: ['kernel', 'core', 'db', 'store', 'internal', 'service', 'types', 'views'],
  types: ['kernel', 'core', 'db', 'types'],
  views: ['kernel', 'core', 'service', 'types', 'views', 'internal'],
  schemas: ['kernel', 'core', 'http', 'service', 'types', 'schemas'],
  routes: ['kernel', 'core', 'http', 'service', 'types', 'views', 'schemas'],
  pages: ['kernel', 'core', 'http', 'ui', 'service', 'types', 'views', 'schemas', 'pages'],
  http: ['kernel', 'core', 'http', 'service', 'types'],
  ui: ['kernel', 'core', 'http', 'ui', 'service', 'types', 'views', 'schemas', 'pages'],
};

/** A feature's interface to other features; the edge may also use another feature's shapes and pages. */
const INTERFACE: Role[] = ['service', 'types'];
const EDGE_INTERFACE: Role[] = ['service', 'types', 'views', 'schemas', 'pages'];
const EDGE: Role[] = ['routes', 'pages', 'schemas', 'http', 'ui'];

/** Services and internals may hold the database handle (transactions), never a table. */
const DB_HANDLE = 'server/db/client.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)));
}

const productionFiles = () => ['server', 'miner', 'browser', 'licenses'].filter((d) => existsSync(d)).flatMap((d) => sources(d));
const importGraph = (files: string[]) => new Map(files.map((file) => [file, imports(file)]));

/** The forbidden arrows of this import graph (file → its imports), each as `from → to: rule`. */
export function violations(graph: Map<string, string[]> = importGraph(productionFiles())): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const why = arrowRule(file, target);
      if (why) found.push(`${file} → ${target}: ${why}`);
    }
  }
  return found;
}

/** Why the arrow file → target is forbidden, or undefined when it is allowed. */
function arrowRule(file: string, target: string): string | undefined {
  if (target.startsWith('test/')) return 'production code never imports test/';
  if (target.startsWith('licenses/vendor/') && !file.startsWith('licenses/vendor/')) return 'the vendor tool is never part of the product';
  if (/^(miner|browser|licenses)\//.test(file)) {
    if (target.startsWith('server/') && !target.startsWith('server/kernel/')) return 'miner/, browser/ and licenses/ use only server/kernel';
    const [own, other] = [file.split('/')[0], target.split('/')[0]];
    if (own !== other && /^(miner|browser)$/.test(other!)) return 'a role never imports another role';
    return undefined;
  }
  const from = roleOf(file);
  if (!from) return undefined;
  if (/^(miner|browser)\//.test(target)) return from.role === 'root' ? undefined : 'only the CLI starts other roles';
  const to = roleOf(target);
  if (!to) return undefined;
  if (!MAY[from.role].includes(to.role)) {
    if (from.role === 'http' || from.role === 'routes') if (to.role === 'ui' || to.role === 'pages') return 'http never imports ui or pages';
    if (from.role === 'ui' || from.role === 'pages') if (to.role === 'routes') return 'ui never imports API routes';
    return `${from.role} must not import ${to.role}`;
  }
  if (to.role === 'db' && (from.role === 'service' || from.role === 'internal') && target !== DB_HANDLE)
    return `${from.role} must not import db tables (only ${DB_HANDLE})`;
  if (from.feature && to.feature && from.feature !== to.feature) {
    const allowed = EDGE.includes(from.role) ? EDGE_INTERFACE : INTERFACE;
    if (!allowed.includes(to.role)) return `another feature is reached only through its ${allowed.join('/')}`;
  }
  return undefined;
}

/** Files of a feature named after a layer without the `<stem>.<role>.ts` form (service.ts, user-service.ts, views.ts). */
export function misnamed(files: string[]): string[] {
  return files.filter((f) => roleOf(f)?.feature !== undefined && /^((.+[-_])?(service|store|routes|views|schemas)|pages|types|index)\.tsx?$/.test(basename(f)));
}

/** The names each `*.types.ts` declares as a table row (`typeof table.$inferSelect`), or as a type extending one. */
export function rowTypes(files: string[], read: (file: string) => string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of files.filter((f) => f.endsWith('.types.ts'))) {
    const text = read(file);
    const names = new Set([...text.matchAll(/export type (\w+) = typeof \w+\.\$infer(?:Select|Insert)/g)].map((m) => m[1]!));
    for (const m of text.matchAll(/export interface (\w+) extends (\w+)/g)) if (names.has(m[2]!)) names.add(m[1]!);
    if (names.size > 0) found.set(file, names);
  }
  return found;
}

/** Routes, pages and the http/ui shells that name a row type: they must get a view instead. */
export function rowsAtTheEdge(files: string[], read: (file: string) => string): string[] {
  const rows = rowTypes(files, read);
  const found: string[] = [];
  for (const file of files) {
    const role = roleOf(file)?.role;
    if (!role || !EDGE.includes(role)) continue;
    for (const m of read(file).matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+['"](\.[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[2]!));
      const names = m[1]!.split(',').map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!,
      );
      for (const name of names)
        if (rows.get(target)?.has(name)) found.push(`${file} → ${target}: routes and pages never name a row type (${name}); they get a view`);
    }
  }
  return found;
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

// Tests sit at the path of what they test: test/<dir>/<stem>[.<aspect>].test.ts beside
// <dir>/<stem>.* or the folder <dir>/<stem>/. These folders test the whole product instead.
const WHOLE_PRODUCT = /^test\/(e2e|bench|binary|docker|fixtures|helpers)\/|^test\/[^/]+$/;

/** The test files that have no source file or folder of their stem at the mirrored path. */
export function unmirrored(tests: string[], exists: (path: string) => boolean, list: (dir: string) => string[]): string[] {
  return tests.filter((t) => {
    if (WHOLE_PRODUCT.test(t)) return false;
    const dir = dirname(t).replace(/^test\/?/, '') || '.';
    const stem = basename(t).split('.')[0]!;
    if (exists(join(dir, stem)) && statSync(join(dir, stem)).isDirectory()) return false;
    return !(exists(dir) && list(dir).some((name) => name.split('.')[0] === stem && name !== stem));
  });
}

const testFiles = () => sources('test').filter((f) => /\.test\.tsx?$/.test(f));

describe('architecture', () => {
  it('imports follow the layers and the feature boundaries', () => {
    expect(violations()).toEqual([]);
  });

  it('names every layer file <stem>.<role>.ts', () => {
    expect(misnamed(productionFiles())).toEqual([]);
    const names = [
      'server/chat/service.ts',
      'server/auth/user-service.ts',
      'server/auth/index.ts',
      'server/chat/chat.service.ts',
      'server/chat/linked-pages.ts',
      'server/kernel/service.ts',
    ];
    expect(misnamed(names)).toEqual(['server/chat/service.ts', 'server/auth/user-service.ts', 'server/auth/index.ts']);
  });

  it('gives routes and pages views, never rows', () => {
    const read = (f: string) => readFileSync(f, 'utf8');
    expect(rowsAtTheEdge(productionFiles(), read)).toEqual([]);
    // The check itself, on files made up here: a page naming a row is caught, one naming a view or a value type is not.
    const fake: Record<string, string> = {
      'server/license/license.types.ts':
        'export type LicenseRow = typeof licenses.$inferSelect;\nexport interface LicenseSummary extends LicenseRow { seats: number }\nexport type Mode = "x";',
      'server/license/license.page.tsx': "import type { LicenseRow, Mode } from './license.types.ts';\nimport type { LicenseView } from './license.views.ts';",
      'server/license/license.routes.ts': "import { type LicenseSummary as S } from './license.types.ts';",
      'server/license/license.views.ts': "import type { LicenseRow } from './license.types.ts';",
    };
    expect(rowsAtTheEdge(Object.keys(fake), (f) => fake[f]!)).toEqual([
      'server/license/license.page.tsx → server/license/license.types.ts: routes and pages never name a row type (LicenseRow); they get a view',
      'server/license/license.routes.ts → server/license/license.types.ts: routes and pages never name a row type (LicenseSummary); they get a view',
    ]);
  });

  it('has no import cycle', () => {
    expect(cycles(importGraph(productionFiles()))).toEqual([]);
    // The check itself: a circle of three is found, a file merely importing it is not part of it.
    const circle = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'x']],
      ['d', ['a']],
      ['e', ['e']],
    ]);
    expect(cycles(circle)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('tests mirror the source tree', () => {
    expect(unmirrored(testFiles(), existsSync, readdirSync)).toEqual([]);
    const bad = [
      'test/server/chat/chat.faults.test.ts',
      'test/server/chat/nothing.test.ts',
      'test/server/init/env.test.ts',
      'test/e2e/chat.e2e.test.ts',
      'test/ui/chat.browser.test.ts',
    ];
    expect(unmirrored(bad, existsSync, readdirSync)).toEqual(['test/server/chat/nothing.test.ts', 'test/ui/chat.browser.test.ts']);
  });

  it('classifies files by folder and role suffix', () => {
    expect(roleOf('server/kernel/errors.ts')).toEqual({ role: 'kernel' });
    expect(roleOf('server/app.ts')).toEqual({ role: 'root' });
    expect(roleOf('server/config.ts')).toEqual({ role: 'core' });
    expect(roleOf('server/http/middleware/csrf.ts')).toEqual({ role: 'http' });
    expect(roleOf('server/knowledge/collections.routes.ts')).toEqual({ role: 'routes', feature: 'knowledge' });
    expect(roleOf('server/knowledge/collections.page.tsx')).toEqual({ role: 'pages', feature: 'knowledge' });
    expect(roleOf('server/knowledge/store/vectors.store.ts')).toEqual({ role: 'store', feature: 'knowledge' });
    expect(roleOf('server/knowledge/extract/pdf.ts')).toEqual({ role: 'internal', feature: 'knowledge' });
    expect(roleOf('miner/start.ts')).toBeUndefined();
  });

  it('fails on each forbidden arrow (its own negative cases)', () => {
    const bad: Array<[string, string, string]> = [
      // Layers: routes/pages → services → stores → db.
      ['server/chat/chat.routes.ts', 'server/chat/chat.store.ts', 'routes must not import store'],
      ['server/chat/chat.page.tsx', 'server/db/schema/chat.ts', 'pages must not import db'],
      ['server/chat/chat.store.ts', 'server/chat/chat.service.ts', 'store must not import service'],
      ['server/chat/chat.service.ts', 'server/chat/chat.routes.ts', 'service must not import routes'],
      ['server/chat/chat.store.ts', 'server/chat/chat.views.ts', 'store must not import views'],
      ['server/chat/chat.service.ts', 'server/knowledge/collections.views.ts', 'another feature is reached only through its service/types'],
      ['server/chat/chat.service.ts', 'server/db/schema/chat.ts', 'service must not import db tables (only server/db/client.ts)'],
      ['server/chat/chat.views.ts', 'server/chat/chat.store.ts', 'views must not import store'],
      ['server/http/middleware/csrf.ts', 'server/auth/users.store.ts', 'http must not import store'],
      // A feature's store only by its own feature; other features through their interface.
      ['server/chat/chat.service.ts', 'server/models/models.store.ts', 'another feature is reached only through its service/types'],
      ['server/chat/knowledge-prompt.ts', 'server/knowledge/chunking/tokens.ts', 'another feature is reached only through its service/types'],
      ['server/chat/chat.routes.ts', 'server/knowledge/search/fuse.ts', 'routes must not import internal'],
      ['server/chat/chat.pages.tsx', 'server/knowledge/search/fuse.ts', 'pages must not import internal'],
      ['server/chat/chat.views.ts', 'server/knowledge/search/fuse.ts', 'another feature is reached only through its service/types'],
      // http and ui apart.
      ['server/http/middleware/csrf.ts', 'server/ui/layout.tsx', 'http never imports ui or pages'],
      ['server/chat/chat.routes.ts', 'server/chat/chat.page.tsx', 'http never imports ui or pages'],
      ['server/ui/routes.tsx', 'server/chat/chat.routes.ts', 'ui never imports API routes'],
      ['server/chat/chat.pages.tsx', 'server/knowledge/collections.routes.ts', 'ui never imports API routes'],
      // The kernel and the other roles.
      ['server/kernel/x.ts', 'server/config.ts', 'kernel must not import core'],
      ['miner/x.ts', 'server/config.ts', 'miner/, browser/ and licenses/ use only server/kernel'],
      ['browser/x.ts', 'server/app.ts', 'miner/, browser/ and licenses/ use only server/kernel'],
      ['licenses/x.ts', 'server/init/run.ts', 'miner/, browser/ and licenses/ use only server/kernel'],
      ['miner/x.ts', 'browser/pool.ts', 'a role never imports another role'],
      ['server/chat/chat.service.ts', 'miner/start.ts', 'only the CLI starts other roles'],
      ['server/chat/chat.service.ts', 'licenses/vendor/cli.ts', 'the vendor tool is never part of the product'],
      ['server/knowledge/store/vectors.store.ts', 'test/bench/vector-layouts/flat.ts', 'production code never imports test/'],
    ];
    const graph = new Map<string, string[]>();
    for (const [from, to] of bad) graph.set(from, [...(graph.get(from) ?? []), to]);
    expect(violations(graph).sort()).toEqual(bad.map(([from, to, why]) => `${from} → ${to}: ${why}`).sort());
    // The allowed arrows of the same shapes pass.
    const good = new Map([
      [
        'server/chat/chat.routes.ts',
        [
          'server/chat/chat.service.ts',
          'server/chat/chat.views.ts',
          'server/knowledge/collections.schemas.ts',
          'server/http/errors.ts',
          'server/kernel/errors.ts',
        ],
      ],
      ['server/chat/chat.service.ts', ['server/chat/chat.store.ts', 'server/models/models.service.ts', 'server/db/client.ts', 'server/chat/web-pages.ts']],
      ['server/chat/chat.pages.tsx', ['server/ui/layout.tsx', 'server/knowledge/collections.views.ts', 'server/http/types.ts']],
      ['server/cli/serve.ts', ['server/knowledge/store/vectors.store.ts', 'miner/start.ts']],
      ['miner/x.ts', ['server/kernel/errors.ts']],
    ]);
    expect(violations(good)).toEqual([]);
  });
});
