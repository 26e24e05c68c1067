import { z } from 'zod';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import { STRATEGIES, type Strategy } from '../domain/strategy.js';
import { chooseModel, insertDeployment, modelById, requireProject } from '../store/index.js';
import { forgetDeployment } from '../serving/deployments.js';

const RETURNS = table({ project: 'text', strategy: 'text', algorithm: 'text' });

/**
 * pgml.deploy(project_name, strategy, algorithm): deploys the model a strategy picks among the
 * project's models (optionally of one algorithm), as PostgresML's deploy_strategy.
 */
export const deployStrategy = defineFunction({
  schema: 'pgml',
  name: 'deploy',
  params: {
    project_name: param('text', z.string().nullable()),
    // PostgresML's enums (migrations/0002), so 'best_score'::pgml.strategy resolves as there.
    strategy: param('pgml.strategy', z.string().nullable()),
    algorithm: optionalParam('pgml.algorithm', z.string().nullable()),
  },
  returns: RETURNS,
  execute: async (args, ctx) => {
    if (args.project_name === null) throw new PgError(SqlState.NullValueNotAllowed, 'project_name must not be NULL');
    const strategy = parseStrategy(args.strategy);
    const project = await requireProject(ctx.db, args.project_name);
    const chosen = await chooseModel(ctx.db, project, strategy, args.algorithm ?? null);
    if (!chosen) throw new PgError(SqlState.UndefinedObject, 'No qualified models exist for this deployment.');
    await insertDeployment(ctx.db, project.id, chosen.modelId, strategy);
    forgetDeployment(ctx, project.id);
    ctx.notice(`Deploying model id: ${chosen.modelId}`, 'INFO');
    return [{ project: project.name, strategy, algorithm: chosen.algorithm }];
  },
});

/** pgml.deploy(model_id): deploys that model for its project (strategy `specific`). */
export const deployModel = defineFunction({
  schema: 'pgml',
  name: 'deploy',
  params: { model_id: param('bigint', z.union([z.number(), z.string()]).nullable()) },
  returns: RETURNS,
  execute: async (args, ctx) => {
    const id = args.model_id === null ? Number.NaN : Number(args.model_id);
    if (!Number.isSafeInteger(id)) throw new PgError(SqlState.InvalidParameterValue, 'model_id must be a model id');
    const model = await modelById(ctx.db, id);
    await insertDeployment(ctx.db, model.projectId, model.modelId, 'specific');
    forgetDeployment(ctx, model.projectId);
    return [{ project: model.projectName, strategy: 'specific', algorithm: model.algorithm }];
  },
});

function parseStrategy(value: string | null): Strategy {
  if (value !== null && (STRATEGIES as readonly string[]).includes(value)) return value as Strategy;
  throw new PgError(SqlState.InvalidParameterValue, `invalid strategy: ${JSON.stringify(value)}`, {
    hint: `valid strategies: ${STRATEGIES.join(', ')}`,
  });
}
