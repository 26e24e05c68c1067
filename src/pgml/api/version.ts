import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { VERSION } from '../../version.js';

/** pgml.version(): PostgresML returns its extension version; this is pgml-proxy's. */
export const version: ProxyFunction<Record<string, never>> = {
  signature: { schema: 'pgml', name: 'version', params: [], returns: { kind: 'scalar', type: 'text' } },
  args: z.object({}).strict(),
  pure: true,
  execute: async () => VERSION,
};
