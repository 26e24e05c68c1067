import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { PgError, SqlState } from '../../errors/index.js';
import { chooseModel, insertDeployment, modelById, requireProject, STRATEGIES, type Strategy } from '../store/index.js';

const RETURNS = {
  kind: 'table' as const,
  columns: [
    { name: 'project', type: 'text' },
    { name: 'strategy', type: 'text' },
    { name: 'algorithm', type: 'text' },
  ],
};

const DeployStrategyArgs = z.object({
  project_name: z.string().nullable(),
  strategy: z.string().nullable(),
  algorithm: z.string().nullable().optional(),
});
type DeployStrategyArgs = z.infer<typeof DeployStrategyArgs>;

/**
 * pgml.deploy(project_name, strategy, algorithm): deploys the model a strategy picks among the
 * project's models (optionally of one algorithm), as PostgresML's deploy_strategy.
 */
export const deployStrategy: ProxyFunction<DeployStrategyArgs> = {
  signature: {
    schema: 'pgml',
    name: 'deploy',
    params: [
      { name: 'project_name', type: 'text', hasDefault: false },
      // PostgresML's enums (migrations/0002), so 'best_score'::pgml.strategy resolves as there.
      { name: 'strategy', type: 'pgml.strategy', hasDefault: false },
      { name: 'algorithm', type: 'pgml.algorithm', hasDefault: true },
    ],
    returns: RETURNS,
  },
  args: DeployStrategyArgs,
  execute: async (args, ctx) => {
    if (args.project_name === null) throw new PgError(SqlState.NullValueNotAllowed, 'project_name must not be NULL');
    const strategy = parseStrategy(args.strategy);
    const project = await requireProject(ctx.db, args.project_name);
    const chosen = await chooseModel(ctx.db, project, strategy, args.algorithm ?? null);
    if (!chosen) throw new PgError(SqlState.UndefinedObject, 'No qualified models exist for this deployment.');
    await insertDeployment(ctx.db, project.id, chosen.modelId, strategy);
    ctx.notice(`Deploying model id: ${chosen.modelId}`, 'INFO');
    return [{ project: project.name, strategy, algorithm: chosen.algorithm }];
  },
};

const DeployModelArgs = z.object({ model_id: z.union([z.number(), z.string()]).nullable() });
type DeployModelArgs = z.infer<typeof DeployModelArgs>;

/** pgml.deploy(model_id): deploys that model for its project (strategy `specific`). */
export const deployModel: ProxyFunction<DeployModelArgs> = {
  signature: {
    schema: 'pgml',
    name: 'deploy',
    params: [{ name: 'model_id', type: 'bigint', hasDefault: false }],
    returns: RETURNS,
  },
  args: DeployModelArgs,
  execute: async (args, ctx) => {
    const id = args.model_id === null ? Number.NaN : Number(args.model_id);
    if (!Number.isSafeInteger(id)) throw new PgError(SqlState.InvalidParameterValue, 'model_id must be a model id');
    const model = await modelById(ctx.db, id);
    await insertDeployment(ctx.db, model.projectId, model.modelId, 'specific');
    return [{ project: model.projectName, strategy: 'specific', algorithm: model.algorithm }];
  },
};

function parseStrategy(value: string | null): Strategy {
  if (value !== null && (STRATEGIES as readonly string[]).includes(value)) return value as Strategy;
  throw new PgError(SqlState.InvalidParameterValue, `invalid strategy: ${JSON.stringify(value)}`, {
    hint: `valid strategies: ${STRATEGIES.join(', ')}`,
  });
}
