/**
 * The parameters pgml.train and pgml.train_joint share, by PostgresML's names and types: its enums
 * (migrations/0002) for algorithm, search, test_sampling and runtime, so `'xgboost'::pgml.algorithm`
 * resolves as it does there and a bare literal still does. A NULL argument means the default, as
 * with PostgresML's Option parameters (training/options.ts reads them).
 */
import { z } from 'zod';
import { optionalParam, param, table, type Param } from '../../functions/index.js';

const text = z.string().nullable();
const anyValue = z.unknown();
const boolOrText = z.union([z.boolean(), z.string()]).nullable();

/** The parameter list, with y_column_name's declaration (text for train, text[] for train_joint). */
export function trainParams<Y extends Param>(yColumnName: Y) {
  return {
    project_name: param('text', z.string().nullable()),
    task: optionalParam('text', text),
    relation_name: optionalParam('text', text),
    y_column_name: yColumnName,
    algorithm: optionalParam('pgml.algorithm', text),
    hyperparams: optionalParam('jsonb', anyValue),
    search: optionalParam('pgml.search', text),
    search_params: optionalParam('jsonb', anyValue),
    search_args: optionalParam('jsonb', anyValue),
    test_size: optionalParam('real', z.union([z.number(), z.string()]).nullable()),
    test_sampling: optionalParam('pgml.sampling', text),
    runtime: optionalParam('pgml.runtime', text),
    automatic_deploy: optionalParam('boolean', boolOrText),
    materialize_snapshot: optionalParam('boolean', boolOrText),
    preprocess: optionalParam('jsonb', anyValue),
  };
}

export const TRAIN_RETURNS = table({ project: 'text', task: 'text', algorithm: 'text', deployed: 'boolean' });
