// The flooding miner of the heartbeats benchmark, in a process of its own so building and
// sending its frames never delays the benchmark's own latency probes. Loopback only.
// Env: BENCH_SERVER_URL, BENCH_SECRET, BENCH_COUNT. Prints `ready`, floods on a line on stdin, prints `done <json>`.
import { createInterface } from 'node:readline';
import { CHAT_MODEL } from '../helpers/stack.ts';
import { connectRogueMiner, largeHeartbeat } from '../helpers/rogue-miner.ts';

const url = process.env.BENCH_SERVER_URL!;
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error('the flood goes to loopback only');
const count = Number(process.env.BENCH_COUNT ?? 400);
const miner = await connectRogueMiner(url, { workerId: 'bundled', secret: process.env.BENCH_SECRET! }, [{ name: CHAT_MODEL, kind: 'chat' }]);
const texts = Array.from({ length: count }, (_, i) => JSON.stringify(largeHeartbeat(`beat${i}`)));
console.log('ready', JSON.stringify({ bytesEach: texts[0]!.length }));
for await (const _ of createInterface({ input: process.stdin })) {
  const started = performance.now();
  for (const t of texts) miner.sendRaw(t);
  const closed = await Promise.race([miner.closed, new Promise<undefined>((r) => setTimeout(r, 10_000))]);
  console.log('done', JSON.stringify({ ms: Math.round(performance.now() - started), close: closed?.code ?? null }));
  break;
}
await miner.close().catch(() => undefined);
process.exit(0);
