import { z } from 'zod';
import { defineFunction, optionalParam } from '../../functions/index.js';
import { trainRequest } from '../training/options.js';
import { train as runTraining } from '../training/train.js';
import { TRAIN_RETURNS, trainParams } from './train-params.js';

/**
 * pgml.train(project_name, task, relation_name, y_column_name, algorithm, hyperparams, search,
 * search_params, search_args, test_size, test_sampling, runtime, automatic_deploy,
 * materialize_snapshot, preprocess) → (project, task, algorithm, deployed), as PostgresML 2.x.
 */
export const train = defineFunction({
  schema: 'pgml',
  name: 'train',
  params: trainParams(optionalParam('text', z.string().nullable())),
  returns: TRAIN_RETURNS,
  execute: async (args, ctx) => {
    const y = args.y_column_name;
    return [await runTraining(ctx, trainRequest(args, y === null || y === undefined ? null : [y]))];
  },
});
