import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import { defineFunction, param, type Param } from '../../functions/index.js';
import { numericFeatures, predictBatch, resolveModel, type Features } from '../serving/predictor.js';
import { modelId, modelRef, projectName } from './model-calls.js';

/**
 * pgml.predict_batch(project_name | model_id, features real[]) → SETOF real: the features of many
 * rows flattened into one array, one prediction per row (PostgresML splits by the model's feature
 * count).
 */
function overload<Model extends { project_name: Param<typeof projectName, false> } | { model_id: Param<typeof modelId, false> }>(model: Model) {
  return defineFunction({
    schema: 'pgml',
    name: 'predict_batch',
    params: { ...model, features: param('real[]', z.unknown()) },
    returns: { kind: 'setof', type: 'real' },
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

export const predictBatchFunctions = [overload({ project_name: param('text', projectName) }), overload({ model_id: param('bigint', modelId) })];
