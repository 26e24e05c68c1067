import { PgError, SqlState } from '../../../../src/errors/index.js';
import type { Task } from '../../../../src/pgml/engines/engine.js';
import { matrixBuilder, planDataset, type DatasetJob } from '../../../../src/pgml/preparation/dataset.js';

/**
 * A fresh job over 300 rows of three real features and a label, split 75/25 at random with a fixed
 * seed (the raw matrix is reordered in place by a split: build one per use). `noise` is the weight
 * of a deterministic wobble on the label, so that candidates and folds score differently.
 */
export function toyDatasetJob(task: Task, noise: number): DatasetJob {
  const columns = [{ name: 'a', type: 'float4' }, { name: 'b', type: 'float4' }, { name: 'c', type: 'float4' }, { name: 'y', type: task === 'classification' ? 'int4' : 'float4' }];
  const plan = planDataset({ task, columns, yColumnNames: ['y'] });
  const builder = matrixBuilder(plan, 2 ** 30, (bytes) => new PgError(SqlState.OutOfMemory, `${bytes} bytes`));
  for (let r = 0; r < 300; r++) {
    const row = [Math.sin(r * 0.7), Math.cos(r * 1.3), (r % 7) / 7];
    const value = 2 * row[0]! - row[1]! + 0.3 * row[2]! + noise * Math.sin(r * 5.1);
    builder.addValues((c) => (c < 3 ? row[c] : task === 'classification' ? Number(value > 0) : value));
  }
  return { plan, raw: builder.finish(), options: { testSize: 0.25, testSampling: 'random', seed: 7 } };
}
