import { defineFunction } from '../../functions/index.js';
import { VERSION } from '../../version.js';

/** pgml.version(): PostgresML returns its extension version; this is pgml-proxy's. */
export const version = defineFunction({
  schema: 'pgml',
  name: 'version',
  params: {},
  returns: { kind: 'scalar', type: 'text' },
  pure: true,
  execute: async () => VERSION,
});
