// What `docker run onsite:<v> init …` runs under the fake docker CLI
// (test/helpers/fake-docker-cli.ts): the real `onsite init` command, with
// the test keyring (a source run compiles in no key a test can sign with).
import { readFileSync } from 'node:fs';
import type { Keyring } from '../../licenses/activation-code.ts';
import { runInitCommand } from '../../server/cli/init.ts';

const [command, ...args] = process.argv.slice(2);
if (command !== 'init') {
  console.error(`fake onsite: only init is faked, not ${command}`);
  process.exit(97);
}
const keyring = JSON.parse(readFileSync(process.env.FAKE_ONSITE_KEYRING!, 'utf8')) as Keyring;
process.exitCode = await runInitCommand(args, process.env, { out: (l) => console.log(l), err: (l) => console.error(l) }, keyring);
