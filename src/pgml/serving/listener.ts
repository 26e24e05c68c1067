/**
 * The LISTEN side of deployment and privilege announcements, on the proxy's notification service
 * (db/notifications.ts): each notification invalidates the deployment cache or the access cache.
 * While the service's connection is down both caches are bypassed (a missed notification must
 * never leave a stale deployment or a revoked privilege in use); once it listens again they are
 * trusted afresh. An embedded database has one process and no other writers: its caches are
 * invalidated in-process.
 */
import type { NotificationService } from '../../db/notifications.js';
import { PRIVILEGES_CHANNEL } from './access.js';
import { DEPLOYMENTS_CHANNEL } from './deployments.js';
import { createServingCaches, type ServingCaches } from './services.js';

export interface ServingState {
  /** The caches every call reaches through its context (CallContext.services.serving). */
  caches: ServingCaches;
  /**
   * Privileges may have changed through this proxy (GRANT, REVOKE, ...): every session here checks
   * again, and so do the other proxies on the upstream once they hear of it.
   */
  privilegesChanged(): void;
  stop(): void;
}

/** Sends `NOTIFY channel` on the proxy's own connection to the upstream. */
export type Announce = (channel: string) => Promise<void>;

/**
 * Starts serving's process-wide state: `upstream` for a real upstream (its notification service,
 * and how to announce on it), undefined for the embedded one.
 */
export function startServing(upstream: { notifications: NotificationService; announce: Announce } | undefined, log: (message: string) => void): ServingState {
  const caches = createServingCaches();
  const { deployments: deploymentCache, access: accessCache } = caches;
  const setTrust = (trust: 'none' | 'notify' | 'in-process') => {
    deploymentCache.setTrust(trust);
    accessCache.setTrust(trust);
  };
  if (upstream === undefined) {
    setTrust('in-process');
    return { caches, privilegesChanged: () => accessCache.invalidateAll(), stop: () => setTrust('none') };
  }
  const { notifications, announce } = upstream;
  setTrust('none');
  notifications.subscribe(DEPLOYMENTS_CHANNEL, {
    notify(payload) {
      const projectId = Number(payload);
      if (Number.isSafeInteger(projectId)) deploymentCache.invalidateProject(projectId);
      else deploymentCache.invalidateAll();
    },
    lost: () => setTrust('none'),
    // Anything cached before LISTEN took effect may have missed a notification.
    restored: () => setTrust('notify'),
  });
  notifications.subscribe(PRIVILEGES_CHANNEL, { notify: () => accessCache.invalidateAll() });
  return {
    caches,
    privilegesChanged() {
      accessCache.invalidateAll();
      announce(PRIVILEGES_CHANNEL).catch((error: unknown) =>
        log(`pgml-proxy: announcing a privilege change failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    },
    stop: () => setTrust('none'),
  };
}
