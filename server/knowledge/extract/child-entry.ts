/**
 * The extraction process's entry point in a checkout (under tsx): the
 * single executable runs the same code as its hidden `__extract` command.
 */
import { runExtractChild } from './child.ts';

process.exitCode = await runExtractChild();
process.exit();
