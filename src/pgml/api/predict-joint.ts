import { modelCallOverloads } from './model-calls.js';
import { predictVectors } from '../serving/predictor.js';

/** pgml.predict_joint(project_name | model_id, features real[]) → real[]: one value per label column (pgml.train_joint). */
export const predictJoint = modelCallOverloads(
  'predict_joint',
  { kind: 'scalar', type: 'real[]' },
  (model, batch) => predictVectors(model, batch, 'pgml.predict_joint'),
  false,
);
