import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { withProgress } from './progress.js';
import { PgError, SqlState } from '../../errors/index.js';
import { TRAIN_RETURNS, trainArgShape, trainParams, trainRequest } from '../training/options.js';
import { train } from '../training/train.js';

const TrainJointArgs = z.object({ ...trainArgShape, y_column_name: z.array(z.string().nullable()).nullable().optional() });
type TrainJointArgs = z.infer<typeof TrainJointArgs>;

/** pgml.train_joint: pgml.train with several label columns (multi-output regression). */
export const trainJoint: ProxyFunction<TrainJointArgs> = {
  signature: { schema: 'pgml', name: 'train_joint', params: trainParams('text[]'), returns: TRAIN_RETURNS },
  args: TrainJointArgs,
  execute: async (args, ctx) => {
    const y = args.y_column_name;
    if (y !== null && y !== undefined && y.some((name) => name === null)) {
      throw new PgError(SqlState.NullValueNotAllowed, 'y_column_name must not contain NULL');
    }
    const request = trainRequest(args, y === null || y === undefined ? null : (y as string[]));
    return [await withProgress(ctx, request.projectName, (watched) => train(watched, request))];
  },
};
