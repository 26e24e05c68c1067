import type { FunctionRegistry } from '../../db/functions.js';
import { loadDataset } from './load-dataset.js';
import { version } from './version.js';
import { train } from './train.js';
import { trainJoint } from './train-joint.js';
import { deployModel, deployStrategy } from './deploy.js';
import { snapshot } from './snapshot.js';
import { servingFunctions } from './predict.js';
import { embedText, embedTexts } from './embed.js';
import { transformJson, transformText } from './transform.js';

/** Registers every pgml.* function the proxy evaluates. */
export function registerPgmlFunctions(registry: FunctionRegistry): void {
  registry.register(version);
  registry.register(loadDataset);
  registry.register(train).register(trainJoint).register(deployStrategy).register(deployModel).register(snapshot);
  for (const fn of servingFunctions) registry.register(fn);
  registry.register(embedText).register(embedTexts).register(transformText).register(transformJson);
}
