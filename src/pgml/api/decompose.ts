import { modelCallOverloads } from './model-calls.js';
import { predictVectors } from '../serving/predictor.js';

/** pgml.decompose(project_name | model_id, features) → real[]: every component of a decomposition model (pca). */
export const decompose = modelCallOverloads(
  'decompose',
  { kind: 'scalar', type: 'real[]' },
  (model, batch) => predictVectors(model, batch, 'pgml.decompose'),
  false,
);
