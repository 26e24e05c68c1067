/** Which arguments of a call read the rows of its query, and which take the client's parameters. */
import type { CallSite, StatementAnalysis } from './analyze.js';
import type { ArgExpr } from './args.js';

/** Whether the call is evaluated per row: an argument reads the rows, itself or through a nested call. */
export function isRowDependent(site: CallSite, stmt: StatementAnalysis): boolean {
  for (const arg of site.args.values()) if (isPerRowArg(arg, stmt)) return true;
  return false;
}

export function isPerRowArg(arg: ArgExpr, stmt: StatementAnalysis): boolean {
  if (arg.kind === 'rowDependent') return true;
  if (arg.kind !== 'call') return false;
  const nested = stmt.calls.find((c) => c.id === arg.callId);
  return nested !== undefined && isRowDependent(nested, stmt);
}

/** True when the call (or a call nested in its arguments) needs the client's parameters. */
export function needsParams(site: CallSite, stmt: StatementAnalysis): boolean {
  for (const arg of site.args.values()) {
    if (arg.kind === 'param') return true;
    if ((arg.kind === 'expr' || arg.kind === 'rowDependent') && arg.params.length > 0) return true;
    if (arg.kind === 'call') {
      const nested = stmt.calls.find((c) => c.id === arg.callId);
      if (nested && needsParams(nested, stmt)) return true;
    }
  }
  return false;
}
