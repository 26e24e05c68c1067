/**
 * Training progress for watchers in this process (the dashboard's live project page): every
 * notice a pgml.train / train_joint sends its client is also published here, with the project
 * and database it belongs to, followed by one `end` event. In-process on purpose: NOTIFY from the
 * training session would only be delivered when its transaction commits, after the training.
 */

/** What a training's call context offers that the progress needs (CallContext's fields). */
interface Watchable {
  database: string;
  user: string;
  notice(message: string, severity?: 'INFO' | 'NOTICE' | 'WARNING'): void;
}

export type TrainingEvent =
  | { kind: 'notice'; database: string; project: string; user: string; severity: string; message: string; at: string }
  | { kind: 'end'; database: string; project: string; user: string; ok: boolean; at: string };

type Watcher = (event: TrainingEvent) => void;

const watchers = new Set<Watcher>();

/** Calls `watcher` for every training event until the returned function is called. */
export function watchTraining(watcher: Watcher): () => void {
  watchers.add(watcher);
  return () => void watchers.delete(watcher);
}

function publish(event: TrainingEvent): void {
  for (const watcher of watchers) watcher(event);
}

/** Runs a training with its notices published; the `end` event follows its success or failure. */
export async function withProgress<C extends Watchable, T>(ctx: C, project: string, work: (ctx: C) => Promise<T>): Promise<T> {
  const about = { database: ctx.database, project, user: ctx.user };
  // The same context in every other respect (signal, db, statement start): only notice differs.
  const watched = Object.create(ctx) as C;
  watched.notice = (message, severity = 'INFO') => {
    ctx.notice(message, severity);
    publish({ kind: 'notice', ...about, severity, message, at: new Date().toISOString() });
  };
  let ok = false;
  try {
    const result = await work(watched);
    ok = true;
    return result;
  } finally {
    publish({ kind: 'end', ...about, ok, at: new Date().toISOString() });
  }
}
