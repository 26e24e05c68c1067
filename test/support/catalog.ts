/**
 * The function catalog unit tests resolve calls against: the proxy's real registry of pgml.* and
 * cron.* functions, registered as main.ts registers them, so a signature changed in an api file
 * is the signature the analysis tests see.
 */
import { registerCronFunctions } from '../../src/cron/api/index.js';
import { FunctionRegistry } from '../../src/functions/index.js';
import { registerPgmlFunctions } from '../../src/pgml/api/index.js';

export const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
registerCronFunctions(registry);

export const catalog = registry;
