import { parseSync } from 'libpg-query';

export interface ListenChange {
  kind: 'listen' | 'unlisten';
  /** null for UNLISTEN * */
  channel: string | null;
}

/**
 * LISTEN / UNLISTEN statements in a query string, found with the real parser. Used where one
 * backend is shared by many clients (the embedded upstream) to route notifications back.
 * The caller must have run initParser(); unparsable SQL yields nothing (the backend reports it).
 */
export function listenChanges(sql: string): ListenChange[] {
  let tree: { stmts?: { stmt?: Record<string, { conditionname?: string }> }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch {
    return [];
  }
  const changes: ListenChange[] = [];
  for (const { stmt } of tree.stmts ?? []) {
    if (stmt?.ListenStmt) changes.push({ kind: 'listen', channel: stmt.ListenStmt.conditionname ?? null });
    if (stmt?.UnlistenStmt) changes.push({ kind: 'unlisten', channel: stmt.UnlistenStmt.conditionname ?? null });
  }
  return changes;
}
