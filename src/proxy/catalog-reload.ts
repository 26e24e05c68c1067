/**
 * What happens after CREATE FUNCTION (or any DDL on routines, GRANT/REVOKE on them included):
 *
 * 1. A session of this proxy sees the DDL succeed (session.ts calls `routineDdl`).
 * 2. This proxy reloads what lists functions: the HTTP schema cache when HTTP is on, which first
 *    reloads the inlined functions (upstream-functions.ts), so /rpc never lists a function before
 *    the proxy knows how to run it; without HTTP, the inlined functions alone.
 * 3. It tells the other proxies on the upstream: `NOTIFY pgml_proxy_catalog, '<its instance id>'`.
 *    Each of them reloads (2), ignoring its own announcements.
 * 4. DDL made directly on the upstream is announced by migration 0009's event trigger on the same
 *    channel (payload 'ddl'), and `NOTIFY pgrst` reloads the HTTP schema cache as in PostgREST
 *    (http/listener.ts).
 * 5. While the LISTEN connection is down notifications are missed: once it is back, reload.
 *
 * An embedded database has no other proxies: steps 3 to 5 do not apply.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationService } from '../db/notifications.js';
import type { Queryable } from '../db/queryable.js';
import type { UpstreamFunctions } from './upstream-functions.js';

/** The channel of migration 0009's event trigger and of the proxies' own announcements. */
export const CATALOG_CHANNEL = 'pgml_proxy_catalog';

/** Runs work on the proxy's own connection to the upstream (main.ts's `prepare`). */
export type WithDatabase = (work: (db: Queryable) => Promise<void>) => Promise<void>;

export class CatalogReload {
  private readonly instance = randomUUID();
  /** Set once HTTP is up: reloading its schema cache reloads the inlined functions first. */
  private schemaCache: (() => Promise<void>) | undefined;

  constructor(
    private readonly functions: UpstreamFunctions,
    private readonly withDatabase: WithDatabase,
    /** The LISTEN connection to a real upstream; undefined for the embedded database. */
    private readonly notifications: NotificationService | undefined,
    private readonly log: (message: string) => void,
  ) {
    notifications?.subscribe(CATALOG_CHANNEL, {
      notify: (payload) => {
        if (payload !== this.instance) this.reloadInBackground();
      },
      restored: () => this.reloadInBackground(),
    });
  }

  /** HTTP's schema cache, which reloads the inlined functions itself (its beforeReload). */
  attachSchemaCache(reload: () => Promise<void>): void {
    this.schemaCache = reload;
  }

  /** Reloads the inlined functions only: HTTP's schema cache calls this before reading its own. */
  readonly reloadInlined = (): Promise<void> => this.functions.reload(this.withDatabase);

  /** Steps 2 and 3, after DDL on routines through this proxy. */
  readonly routineDdl = async (): Promise<void> => {
    await this.reload();
    if (this.notifications) await this.withDatabase(async (db) => void (await db.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, this.instance])));
  };

  private reload(): Promise<void> {
    return this.schemaCache ? this.schemaCache() : this.reloadInlined();
  }

  private reloadInBackground(): void {
    this.reload().catch((error: unknown) => this.log(`pgml-proxy: reloading functions failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}
