import { modelCallOverloads, PREDICT_FEATURE_TYPES } from './model-calls.js';
import { predictBatch } from '../serving/predictor.js';

/**
 * pgml.predict(project_name | model_id, features | row) → real: the model's prediction (for a
 * classifier, the class; for clustering, the cluster; for decomposition, the first component).
 */
export const predict = modelCallOverloads('predict', { kind: 'scalar', type: 'real' }, (model, batch) => predictBatch(model, batch), true, PREDICT_FEATURE_TYPES);
