#!/usr/bin/env node
import { ConfigError, USAGE, loadConfig } from './config.js';
import { start } from './main.js';

let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`pgml-proxy: ${error.message} (see --help)\n`);
  process.exit(2);
}
if (config === null) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const app = await start(config).catch((error: unknown) => {
  process.stderr.write(`pgml-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`pgml-proxy: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
