import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import { defineFunction, param, type Param, type ReturnSpec } from '../../functions/index.js';
import { numericFeatures, predictBatch, resolveModel, type Features } from '../serving/predictor.js';
import { modelId, modelRef, projectName } from './model-calls.js';

/**
 * pgml.predict_batch(project_name | model_id, features real[]): the features of many rows flattened
 * into one array, one prediction per row (PostgresML splits by the model's feature count). As in
 * PostgresML, by project name a SETOF real, by model id one real[] (its predict_model_batch).
 */
function overload<Model extends { project_name: Param<typeof projectName, false> } | { model_id: Param<typeof modelId, false> }>(
  model: Model,
  returns: ReturnSpec,
) {
  return defineFunction({
    schema: 'pgml',
    name: 'predict_batch',
    params: { ...model, features: param('real[]', z.unknown()) },
    returns,
    async execute(args, ctx) {
      const ref = modelRef(args, 'pgml.predict_batch');
      const values = numericFeatures(args.features, 'pgml.predict_batch: features');
      const loaded = await resolveModel(ctx, ref);
      const width = loaded.pipeline?.rawWidth ?? loaded.stored.numFeatures;
      if (width === 0 || values.length % width !== 0) {
        throw new PgError(
          SqlState.InvalidParameterValue,
          `pgml.predict_batch: ${values.length} values are not a whole number of rows of ${width} features`,
        );
      }
      const batch: Features[] = [];
      for (let at = 0; at < values.length; at += width) batch.push({ kind: 'vector', values: values.slice(at, at + width) });
      return predictBatch(loaded, batch);
    },
  });
}

export const predictBatchFunctions = [
  overload({ project_name: param('text', projectName) }, { kind: 'setof', type: 'real' }),
  overload({ model_id: param('bigint', modelId) }, { kind: 'scalar', type: 'real[]' }),
];
