import { ApiError } from './api';
import { h } from './dom';

/** A page that could not be drawn says why, with Postgres's SQLSTATE when it refused. */
export function showError(main: HTMLElement, error: unknown): void {
  const code = error instanceof ApiError && error.code ? ` (SQLSTATE ${error.code})` : '';
  main.replaceChildren(h('h1', {}, 'Could not show this page'), h('p', { class: 'error', role: 'alert' }, `${error instanceof Error ? error.message : String(error)}${code}`));
}
