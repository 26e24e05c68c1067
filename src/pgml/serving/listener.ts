/**
 * The LISTEN side of deployment and privilege announcements: one dedicated connection to a real
 * upstream that invalidates the deployment cache or the access cache on each notification. While
 * it is down both caches are bypassed (a missed notification must never leave a stale deployment
 * or a revoked privilege in use), and it reconnects.
 */
import pg from 'pg';
import { PRIVILEGES_CHANNEL, accessCache } from './access.js';
import { DEPLOYMENTS_CHANNEL, deploymentCache } from './deployments.js';

const RECONNECT_MS = 1000;

export interface DeploymentListener {
  stop(): Promise<void>;
}

/** Starts serving's process-wide state: `upstream` is the real Postgres URL, or undefined for the embedded one. */
export async function startServing(upstream: string | undefined, log: (message: string) => void): Promise<DeploymentListener> {
  if (upstream === undefined) {
    setTrust('in-process');
    return { stop: async () => setTrust('none') };
  }
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: upstream, application_name: 'pgml-proxy listener' });
    const lost = (error?: Error) => {
      if (client !== next) return;
      client = undefined;
      setTrust('none');
      if (!stopped) {
        if (error) log(`pgml-proxy: deployment listener lost its connection: ${error.message}`);
        timer = setTimeout(() => void connect().catch(() => lost()), RECONNECT_MS);
        timer.unref();
      }
    };
    client = next;
    next.on('error', (error) => lost(error));
    next.on('end', () => lost());
    next.on('notification', (message) => {
      if (message.channel === PRIVILEGES_CHANNEL) return accessCache.invalidateAll();
      const projectId = Number(message.payload);
      if (Number.isSafeInteger(projectId)) deploymentCache.invalidateProject(projectId);
      else deploymentCache.invalidateAll();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${DEPLOYMENTS_CHANNEL}; LISTEN ${PRIVILEGES_CHANNEL}`);
    } catch (error) {
      lost(error instanceof Error ? error : new Error(String(error)));
      void next.end().catch(() => {});
      return;
    }
    // Anything cached before LISTEN took effect may have missed a notification.
    setTrust('notify');
  };

  await connect();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      setTrust('none');
      await current?.end().catch(() => {});
    },
  };
}

function setTrust(trust: 'none' | 'notify' | 'in-process'): void {
  deploymentCache.setTrust(trust);
  accessCache.setTrust(trust);
}
