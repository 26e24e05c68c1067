/**
 * Who may use a cached model. The model and deployment caches are shared by every session, but a
 * call must succeed exactly when the caller's role could read what it reads (deployment, model,
 * files) through the upstream. So each session asks the upstream once (store's modelVisibility,
 * which fails with Postgres's own 42501) and remembers the answer per model reference until
 * - its session epoch moves (SET ROLE, SET SESSION AUTHORIZATION, RESET, the end of a transaction
 *   that changed settings or privileges, any statement that ran on the upstream, whose functions
 *   may have changed the role: see CallContext.sessionEpoch), or
 * - privileges may have changed anywhere (invalidateAll: GRANT/REVOKE through any proxy, the
 *   event trigger of migration 0011, `NOTIFY pgml_proxy_privileges`).
 * Answers are remembered only while such changes are sure to be heard: on the embedded upstream
 * (this process sees every statement) or while the listener is connected; otherwise every call
 * asks.
 */
import type { CallContext } from '../../functions/index.js';
import { modelVisibility } from '../store/index.js';

export const PRIVILEGES_CHANNEL = 'pgml_proxy_privileges';

export type AccessTrust = 'none' | 'notify' | 'in-process';

interface SessionAnswers {
  epoch: number;
  generation: number;
  /** Model references this session's role was seen to read, e.g. `p:name→7` or `m:7`. */
  readable: Set<string>;
}

export class AccessCache {
  private trust: AccessTrust = 'none';
  private generation = 0;
  private readonly sessions = new WeakMap<CallContext, SessionAnswers>();
  private checks = 0;

  setTrust(trust: AccessTrust): void {
    this.trust = trust;
    this.invalidateAll();
  }

  invalidateAll(): void {
    this.generation++;
  }

  /** Upstream checks made so far (the per-call cost the cache saves; bench/predict-latency). */
  get checksMade(): number {
    return this.checks;
  }

  /** Whether this session's role was seen to read the model, with nothing changed since: canRead's answer without a check. */
  knownReadable(ctx: CallContext, modelId: number, projectName: string | null): boolean {
    const known = this.sessions.get(ctx);
    return known !== undefined && known.epoch === ctx.sessionEpoch && known.generation === this.generation && known.readable.has(readableKey(modelId, projectName));
  }

  /**
   * Whether the caller can read model `modelId` (reached through `projectName`'s deployment, or
   * by id when null). Throws the upstream's error (42501) when a privilege is missing; false when
   * the rows are hidden from the caller (row-level security): then the call must read them itself.
   */
  async canRead(ctx: CallContext, modelId: number, projectName: string | null): Promise<boolean> {
    if (this.knownReadable(ctx, modelId, projectName)) return true;
    const key = readableKey(modelId, projectName);
    const known = this.sessions.get(ctx);
    // Whatever changes while the check runs makes its answer unfit to keep.
    const epoch = ctx.sessionEpoch;
    const generation = this.generation;
    this.checks++;
    const { visible, settled } = await modelVisibility(ctx.db, modelId, projectName);
    if (visible && settled && this.trust !== 'none' && epoch === ctx.sessionEpoch && generation === this.generation) {
      const answers = known && known.epoch === epoch && known.generation === generation ? known : { epoch, generation, readable: new Set<string>() };
      answers.readable.add(key);
      this.sessions.set(ctx, answers);
    }
    return visible;
  }
}

function readableKey(modelId: number, projectName: string | null): string {
  return projectName === null ? `m:${modelId}` : `p:${projectName}\u0000${modelId}`;
}
