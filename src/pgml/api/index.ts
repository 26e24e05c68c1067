import type { FunctionRegistry } from '../../db/functions.js';
import { version } from './version.js';
import { train } from './train.js';
import { trainJoint } from './train-joint.js';
import { deployModel, deployStrategy } from './deploy.js';
import { snapshot } from './snapshot.js';

/** Registers every pgml.* function the proxy evaluates. */
export function registerPgmlFunctions(registry: FunctionRegistry): void {
  registry.register(version);
  registry.register(train).register(trainJoint).register(deployStrategy).register(deployModel).register(snapshot);
}
