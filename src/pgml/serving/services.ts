/**
 * Serving's process-wide caches, one set per proxy process, built by startServing (listener.ts)
 * and reached by every call through its context (`ctx.services.serving`), not module globals.
 */
import { AccessCache } from './access.js';
import { DeploymentCache } from './deployments.js';
import { ModelCache } from './model-cache.js';

export interface ServingCaches {
  /** Loaded models by model id: immutable, so never invalidated, only evicted. */
  models: ModelCache;
  /** Project name → deployed model id, invalidated by deployment notifications. */
  deployments: DeploymentCache;
  /** Per role and session: may this caller read this model? Invalidated on privilege changes. */
  access: AccessCache;
}

declare module '../../functions/contract.js' {
  interface CallServices {
    serving: ServingCaches;
  }
}

export function createServingCaches(): ServingCaches {
  return { models: new ModelCache(), deployments: new DeploymentCache(), access: new AccessCache() };
}

