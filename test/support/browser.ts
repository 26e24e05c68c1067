// Debian's Chromium (`apt-get install chromium`) driven by playwright-core, headless, with a fresh
// profile and none of Chromium's own network traffic (this machine has no network but loopback).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { onExit } from './cleanup.js';
import { REPO_ROOT } from './proxy.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Where browser tests leave screenshots for a person to look at (gitignored). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'pgml-chromium-'));
  const forget = onExit(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    close: async () => {
      await context.close();
      forget();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
