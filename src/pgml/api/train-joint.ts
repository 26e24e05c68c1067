import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import { defineFunction, optionalParam } from '../../functions/index.js';
import { trainRequest } from '../training/options.js';
import { train } from '../training/train.js';
import { TRAIN_RETURNS, trainParams } from './train-params.js';

/** pgml.train_joint: pgml.train with several label columns (multi-output regression). */
export const trainJoint = defineFunction({
  schema: 'pgml',
  name: 'train_joint',
  params: trainParams(optionalParam('text[]', z.array(z.string().nullable()).nullable())),
  returns: TRAIN_RETURNS,
  execute: async (args, ctx) => {
    const y = args.y_column_name;
    if (y !== null && y !== undefined && y.some((name) => name === null)) {
      throw new PgError(SqlState.NullValueNotAllowed, 'y_column_name must not contain NULL');
    }
    return [await train(ctx, trainRequest(args, y === null || y === undefined ? null : (y as string[])))];
  },
});
