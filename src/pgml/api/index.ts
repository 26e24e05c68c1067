import type { FunctionRegistry } from '../../db/functions.js';
import { version } from './version.js';

/** Registers every pgml.* function the proxy evaluates. */
export function registerPgmlFunctions(registry: FunctionRegistry): void {
  registry.register(version);
}
