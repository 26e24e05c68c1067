/**
 * Which model a project serves, cached per process so a prediction costs no registry query.
 * A deployment made anywhere reaches every session by LISTEN/NOTIFY on DEPLOYMENTS_CHANNEL (never
 * by polling): migration 0007's trigger on pgml.deployments notifies, and the listener
 * (listener.ts, on the proxy's notification service) invalidates on each notification.
 *
 * The cache is trusted only while that path works: without a listener (or while it reconnects)
 * every lookup asks the database.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import type { Deployment } from '../domain/deployment.js';
import type { CallContext } from '../../functions/index.js';

export const DEPLOYMENTS_CHANNEL = 'pgml_proxy_deployments';

export type DeploymentTrust = 'none' | 'notify' | 'in-process';

interface LookupRow {
  project_id: string;
  model_id: string | null;
  settled: boolean;
}

export class DeploymentCache {
  private readonly byName = new Map<string, Deployment>();
  private trust: DeploymentTrust = 'none';
  /** Bumped by every invalidation: a lookup that raced one must not store what it read. */
  private generation = 0;

  setTrust(trust: DeploymentTrust): void {
    // Migration 0007's trigger announces every deployment to listeners. In-process trust would
    // need every writer to invalidate the cache itself: train and deploy do (forgetDeployment), a
    // plain INSERT INTO pgml.deployments does not, so stay uncached.
    this.trust = trust === 'notify' ? 'notify' : 'none';
    this.invalidateAll();
  }

  invalidateAll(): void {
    this.generation++;
    this.byName.clear();
  }

  invalidateProject(projectId: number): void {
    this.generation++;
    for (const [name, d] of this.byName) if (d.projectId === projectId) this.byName.delete(name);
  }

  /** The project's deployment as lookup would return it without a query; undefined when lookup must query. */
  cached(projectName: string): Deployment | undefined {
    return this.trust === 'none' ? undefined : this.byName.get(projectName);
  }

  /** The project's deployed model; 42704 for an unknown project or one with nothing deployed. */
  async lookup(db: Queryable, projectName: string): Promise<Deployment> {
    const cached = this.cached(projectName);
    if (cached) return cached;
    const generation = this.generation;
    // A session that has written (e.g. trained in its open transaction) may see a deployment
    // nobody else can yet: such a result is used but not shared.
    const result = await db.query<LookupRow>(
      `SELECT p.id AS project_id,
              (SELECT d.model_id FROM pgml.deployments d WHERE d.project_id = p.id
                ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS model_id,
              pg_current_xact_id_if_assigned() IS NULL AS settled
         FROM pgml.projects p WHERE p.name = $1`,
      [projectName],
    );
    const row = result.rows[0];
    if (!row) {
      throw new PgError(SqlState.UndefinedObject, `Project named \`${projectName}\` does not exist.`, {
        hint: 'train a model first: SELECT pgml.train(...)',
      });
    }
    if (row.model_id === null) {
      throw new PgError(SqlState.UndefinedObject, `No deployed model exists for the project named: \`${projectName}\``, {
        hint: 'train one with pgml.train(...) or deploy one with pgml.deploy(...)',
      });
    }
    const deployment = { projectId: Number(row.project_id), modelId: Number(row.model_id) };
    if (this.trust !== 'none' && row.settled && generation === this.generation) this.byName.set(projectName, deployment);
    return deployment;
  }
}

/**
 * After a call wrote a deployment of the project: its cached deployment is dropped when the caller's
 * transaction is over, before the client hears so, and not only when the upstream's notification
 * arrives (which may come after another session's next statement here; other proxies still rely
 * on it).
 */
export function forgetDeployment(ctx: CallContext, projectId: number): void {
  ctx.afterTransaction?.(() => ctx.services.serving.deployments.invalidateProject(projectId));
}
