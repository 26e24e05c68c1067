import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { withProgress } from './progress.js';
import { TRAIN_RETURNS, trainArgShape, trainParams, trainRequest } from '../training/options.js';
import { train as runTraining } from '../training/train.js';

const TrainArgs = z.object({ ...trainArgShape, y_column_name: z.string().nullable().optional() });
type TrainArgs = z.infer<typeof TrainArgs>;

/**
 * pgml.train(project_name, task, relation_name, y_column_name, algorithm, hyperparams, search,
 * search_params, search_args, test_size, test_sampling, runtime, automatic_deploy,
 * materialize_snapshot, preprocess) → (project, task, algorithm, deployed), as PostgresML 2.x.
 */
export const train: ProxyFunction<TrainArgs> = {
  signature: { schema: 'pgml', name: 'train', params: trainParams('text'), returns: TRAIN_RETURNS },
  args: TrainArgs,
  execute: async (args, ctx) => {
    const y = args.y_column_name;
    const request = trainRequest(args, y === null || y === undefined ? null : [y]);
    return [await withProgress(ctx, request.projectName, (watched) => runTraining(watched, request))];
  },
};
