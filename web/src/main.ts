/**
 * The dashboard's pages, one per address; each is a full page load (links work as links: open
 * in a new tab, back, keyboard) that asks the JSON API for its data and draws it.
 */
import './style.css';
import { ApiError, post, session, type SessionInfo } from './api';
import { h } from './dom';
import { showError } from './show-error';
import { loginPage } from './pages/login';
import { projectsPage } from './pages/projects';
import { projectPage } from './pages/project';
import { modelPage } from './pages/model';
import { snapshotPage } from './pages/snapshot';
import { jobsPage } from './pages/jobs';

export type Page = (main: HTMLElement, arg: string) => Promise<void>;

const ROUTES: [RegExp, Page][] = [
  [/^\/dashboard\/?$/, projectsPage],
  [/^\/dashboard\/projects\/([^/]+)$/, projectPage],
  [/^\/dashboard\/models\/(\d+)$/, modelPage],
  [/^\/dashboard\/snapshots\/(\d+)$/, snapshotPage],
  [/^\/dashboard\/jobs$/, jobsPage],
];

/** Draws the page for the current address; a lost session shows the login form. */
export async function render(): Promise<void> {
  const main = document.getElementById('main')!;
  let info: SessionInfo;
  try {
    info = await session();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return loginPage(main, render);
    return showError(main, error);
  }
  const logout = h('button', { type: 'button', id: 'logout', onclick: () => void post('logout').then(render, render) }, 'Log out');
  document.getElementById('who')!.replaceChildren(`${info.role} @ ${info.database}`, ...(info.embedded ? [] : [logout]));
  const path = location.pathname;
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    try {
      await page(main, decodeURIComponent(match[1] ?? ''));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return loginPage(main, render);
      showError(main, error);
    }
    return;
  }
  showError(main, new Error('No such dashboard page'));
}

void render();
