// npm run bench: runs every benchmark in one process and prints medians.
// Load stays on loopback; each run is bounded in time and stops by itself.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchFoundation } from './foundation.ts';
import { benchBrowser } from './browser.ts';
import { benchBundle } from './bundle.ts';
import { benchStreams } from './streams.ts';
import { benchVectors } from './vectors.ts';
import { benchKnowledge } from './knowledge.ts';
import { benchHeartbeats } from './heartbeats.ts';

const print = (title: string, rows: Record<string, string>) => {
  console.log(`\n## ${title}`);
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(width)}  ${v}`);
};

// `npm run bench -- streams knowledge` runs only the named sections; none named runs all.
const only = new Set(process.argv.slice(2));
const sections: Array<[string, string, () => Promise<Record<string, string>>]> = [
  ['foundation', 'foundation: binary start, memory, HTTP overhead', benchFoundation],
  ['streams', 'streaming: server + miner against straight to the test Ollama', benchStreams],
  ['browser', 'browser sidecar: pooled Chromium against a browser launched per fetch', benchBrowser],
  ['bundle', 'release bundle: size per image, init.sh to a healthy stack', benchBundle],
  ['vectors', 'knowledge vectors: sqlite-vec layouts, 100,000 × 768 on one core', benchVectors],
  ['knowledge', 'knowledge base: hybrid search over 100,000 chunks and ingestion, one core', benchKnowledge],
  ['heartbeats', 'miner heartbeats: /health/live latency while one miner floods 400 large heartbeats', benchHeartbeats],
];
// Sections that run dist/onsite; the others start the server from source.
const NEEDS_BINARY = new Set(['foundation', 'streams', 'bundle']);
const unknown = [...only].filter((name) => !sections.some(([n]) => n === name));
if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${sections.map(([n]) => n).join(', ')}`);

if ([...NEEDS_BINARY].some((n) => only.size === 0 || only.has(n)) && !existsSync('dist/onsite')) {
  console.log('building dist/onsite first (npm run build)…');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}

console.log(`onsite benchmarks — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})`);
for (const [name, title, run] of sections) if (only.size === 0 || only.has(name)) print(title, await run());
