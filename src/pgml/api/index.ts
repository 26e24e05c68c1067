import type { FunctionRegistry } from '../../functions/index.js';
import { chunk } from './chunk.js';
import { decompose } from './decompose.js';
import { deployModel, deployStrategy } from './deploy.js';
import { embedText, embedTexts } from './embed.js';
import { loadDataset } from './load-dataset.js';
import { predict } from './predict.js';
import { predictBatchFunctions } from './predict-batch.js';
import { predictJoint } from './predict-joint.js';
import { predictProbaFunctions } from './predict-proba.js';
import { rank } from './rank.js';
import { snapshot } from './snapshot.js';
import { train } from './train.js';
import { trainJoint } from './train-joint.js';
import { transformChatJson, transformChatText, transformJson, transformText } from './transform.js';
import { transformStreamChatJson, transformStreamChatText, transformStreamJson, transformStreamText } from './transform-stream.js';
import { tune } from './tune.js';
import { version } from './version.js';

/** Registers every pgml.* function the proxy evaluates (one file per SQL name). */
export function registerPgmlFunctions(registry: FunctionRegistry): void {
  registry.register(version, loadDataset, train, trainJoint, deployStrategy, deployModel, snapshot);
  registry.register(...predict, ...predictProbaFunctions, ...predictJoint, ...decompose, ...predictBatchFunctions);
  registry.register(embedText, embedTexts, transformText, transformJson, transformChatText, transformChatJson, transformStreamText, transformStreamJson, transformStreamChatText, transformStreamChatJson, chunk, rank, tune);
}
