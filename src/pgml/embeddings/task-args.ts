/** Checking pgml.transform's `args` for a task, shared by the tasks' runners. */
import { existsSync, readFileSync } from 'node:fs';
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from './tasks.js';

export type Args = Record<string, unknown>;

export function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
}

export function invalid(task: Task, message: string, accepted?: readonly string[]): PgError {
  return new PgError(SqlState.InvalidParameterValue, `pgml.transform: ${task}: ${message}`, {
    hint: accepted ? `Accepted args: ${accepted.join(', ')}.` : undefined,
  });
}

export function only(task: Task, args: Args, accepted: readonly string[]): void {
  const unknown = Object.keys(args).filter((k) => !accepted.includes(k));
  if (unknown.length > 0) throw invalid(task, `unsupported args ${unknown.join(', ')}`, accepted);
}
