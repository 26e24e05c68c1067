export { XgboostEngine, xgboostFactory, xgboostRandomForestFactory, type XgboostRuntimeKind } from './engine.js';
export { XGBOOST_HYPERPARAMS, XGBOOST_RANDOM_FOREST_HYPERPARAMS } from './params.js';
export { WASM_MAX_CELLS } from './wasm.js';
