/**
 * The dashboard's front end as `npm run build` left it in dist/web (Vite): index.html for every
 * page address, and content-hashed files under /dashboard/assets/, which never change under their
 * name and so are cached for a year. Read once at start: nothing is fetched at run time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = fileURLToPath(new URL('../web', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
};

export interface StaticFile {
  body: Buffer;
  headers: Record<string, string>;
}

/** Same-origin only: no inline script, no frames, nothing from elsewhere. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

export class StaticFiles {
  private readonly assets = new Map<string, StaticFile>();
  private readonly index: StaticFile | undefined;

  constructor(dir: string = WEB_DIR) {
    const indexPath = join(dir, 'index.html');
    if (!existsSync(indexPath)) return;
    const body = readFileSync(indexPath);
    this.index = {
      body,
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': TYPES['.html']!,
        // The page names the current hashed assets: always ask whether it changed.
        'Cache-Control': 'no-cache',
        ETag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      },
    };
    const assetsDir = join(dir, 'assets');
    if (!existsSync(assetsDir)) return;
    for (const name of readdirSync(assetsDir)) {
      this.assets.set(name, {
        body: readFileSync(join(assetsDir, name)),
        headers: {
          ...SECURITY_HEADERS,
          'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
          'Cache-Control': 'public, max-age=31536000, immutable',
        },
      });
    }
  }

  get built(): boolean {
    return this.index !== undefined;
  }

  page(): StaticFile | undefined {
    return this.index;
  }

  asset(name: string): StaticFile | undefined {
    return this.assets.get(name);
  }
}
