// 'exit' handlers do not run when a signal ends the process; turning SIGINT/SIGTERM into a normal
// exit lets the clusters and proxies registered with onExit be stopped on Ctrl-C or a runner kill.
let installed = false;

export function onExit(handler: () => void): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
    }
  }
  process.once('exit', handler);
  return () => process.removeListener('exit', handler);
}
