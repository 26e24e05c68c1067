/**
 * pgml.tune: PostgresML fine-tunes Hugging Face models with PyTorch's trainer. pgml-proxy runs
 * transformer models through ONNX Runtime, which only runs them forward, so fine-tuning cannot
 * run here: the call is declared with PostgresML's signature and refused, before any data is
 * read, with 0A000 saying so (never answered as if a model had been tuned).
 */
import { z } from 'zod';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';

const text = z.string().nullable();
const anything = z.unknown();

export const tune = defineFunction({
  schema: 'pgml',
  name: 'tune',
  params: {
    project_name: param('text', text),
    task: optionalParam('text', text),
    relation_name: optionalParam('text', text),
    y_column_name: optionalParam('text', text),
    model_name: optionalParam('text', text),
    hyperparams: optionalParam('jsonb', anything),
    test_size: optionalParam('real', anything),
    test_sampling: optionalParam('pgml.sampling', anything),
    automatic_deploy: optionalParam('boolean', anything),
    materialize_snapshot: optionalParam('boolean', anything),
  },
  returns: table({ status: 'text', task: 'text', algorithm: 'text', deployed: 'boolean' }),
  execute: () => {
    throw new PgError(SqlState.FeatureNotSupported, 'pgml.tune: fine-tuning transformer models cannot run in pgml-proxy', {
      detail: 'Models run on ONNX Runtime, which evaluates them but has no training runtime for transformers.',
      hint: 'Fine-tune with Python transformers, export the model to ONNX (optimum-cli export onnx), and use it from --models-dir with pgml.transform.',
    });
  },
});
