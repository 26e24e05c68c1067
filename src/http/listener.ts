/**
 * Reloading a cache by notification, as PostgREST reloads its schema cache
 * (docs/references/schema_cache.rst): a connection LISTENs on a channel (`pgrst`: `NOTIFY pgrst`
 * or `NOTIFY pgrst, 'reload schema'` from any session reloads the function cache). After a lost
 * connection the cache is reloaded on reconnect, since notifications sent meanwhile were missed.
 * The connection is a NotificationService (db/notifications.ts) of its own: it reaches the upstream
 * through the proxy's listener, so it works on the embedded database too.
 */
import type pg from 'pg';
import { NotificationService } from '../db/notifications.js';

export interface ReloadChannel {
  channel: string;
  /** Whether a notification with this payload asks for a reload. */
  accepts(payload: string): boolean;
  applicationName: string;
}

/** PostgREST's own channel, as the HTTP schema cache listens to it. */
export const PGRST_CHANNEL: ReloadChannel = {
  channel: 'pgrst',
  accepts: (payload) => payload === '' || payload === 'reload schema',
  applicationName: 'pgml-proxy-http-listener',
};

export class ReloadListener {
  private readonly notifications: NotificationService;

  constructor(config: pg.ClientConfig, channel: ReloadChannel, reload: () => void, log: (message: string) => void) {
    this.notifications = new NotificationService({ ...config, application_name: channel.applicationName }, log);
    this.notifications.subscribe(channel.channel, {
      notify: (payload) => {
        if (channel.accepts(payload)) reload();
      },
      restored: reload,
    });
  }

  start(): void {
    void this.notifications.start();
  }

  stop(): Promise<void> {
    return this.notifications.stop();
  }
}
