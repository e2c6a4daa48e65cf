// The test site as a process, for the test image: serves the pages of
// test/fixtures/web/site.ts on 0.0.0.0:8080 so the browser container can read
// them over the compose network. Exits on SIGTERM.
import { startSite } from '../fixtures/web/site.ts';

const site = await startSite('0.0.0.0', Number(process.env.SITE_PORT ?? 8080));
process.stdout.write(`test site listening on ${site.url}\n`);
const stop = () => void site.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
