/**
 * The project page's live view: server-sent events carrying the notices of trainings of that
 * project in this proxy process (pgml/api/progress.ts), then `end` when one finishes, on which
 * the page reloads its data. A comment line every 20 s keeps idle connections open through proxies.
 */
import type http from 'node:http';

export interface TrainingEventLike {
  kind: 'notice' | 'end';
  database: string;
  project: string;
}

/** Subscribes to training events; returns the unsubscribe function. */
export type WatchTraining = (watcher: (event: TrainingEventLike) => void) => () => void;

const KEEPALIVE_MS = 20_000;

export function serveLive(req: http.IncomingMessage, res: http.ServerResponse, watch: WatchTraining, of: { database: string; project: string }): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write(': watching\n\n');
  const unwatch = watch((event) => {
    if (event.database !== of.database || event.project !== of.project) return;
    res.write(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
  });
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  req.socket.on('close', () => {
    clearInterval(keepalive);
    unwatch();
  });
}
