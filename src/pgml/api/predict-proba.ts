import { modelCallOverloads } from './model-calls.js';
import { predictProba } from '../serving/predictor.js';

/** pgml.predict_proba(project_name | model_id, features real[]) → real[]: one probability per class. */
export const predictProbaFunctions = modelCallOverloads(
  'predict_proba',
  { kind: 'scalar', type: 'real[]' },
  (model, batch) => predictProba(model, batch),
  false,
);
