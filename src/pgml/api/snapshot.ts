import { z } from 'zod';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import { planDataset } from '../preparation/dataset.js';
import { parseSampling } from '../preparation/sampling.js';
import { dropSnapshotTable, insertSnapshot, materializeSnapshot, readRelationMatrix, reserveSnapshotId, resolveRelation } from '../store/index.js';
import { prepareDataset } from '../training/prepare.js';
import { trainingReadPace, trainingSettings } from '../training/settings.js';

/**
 * pgml.snapshot(relation_name, y_column_name, test_size, test_sampling, preprocess): records a
 * snapshot with its column analysis and materializes the relation into pgml.snapshot_<id>, as
 * PostgresML does; returns (relation, y_column_name).
 */
export const snapshot = defineFunction({
  schema: 'pgml',
  name: 'snapshot',
  params: {
    relation_name: param('text', z.string().nullable()),
    y_column_name: param('text', z.string().nullable()),
    test_size: optionalParam('real', z.union([z.number(), z.string()]).nullable()),
    test_sampling: optionalParam('pgml.sampling', z.string().nullable()),
    preprocess: optionalParam('jsonb', z.unknown()),
  },
  returns: table({ relation: 'text', y_column_name: 'text' }),
  execute: async (args, ctx) => {
    if (args.relation_name === null || args.y_column_name === null) {
      throw new PgError(SqlState.NullValueNotAllowed, 'relation_name and y_column_name must not be NULL');
    }
    const testSize = args.test_size === null || args.test_size === undefined ? 0.25 : Number(args.test_size);
    const testSampling = parseSampling(args.test_sampling ?? 'stratified');
    const relation = await resolveRelation(ctx.db, args.relation_name);
    // The analysis is task independent: the label is kept out of the features and not encoded.
    const plan = planDataset({ task: 'clustering', columns: relation.columns, yColumnNames: [args.y_column_name], preprocess: args.preprocess ?? {} });
    // As in pgml.train: the copy is made once the size is accepted, and the analysis reads the copy.
    // Unlike pgml.train, no notice: PostgresML's snapshot() (Snapshot::create) sends none.
    const id = await reserveSnapshotId(ctx.db);
    const copy = (): Promise<string> => materializeSnapshot(ctx.db, id, relation.quoted, testSampling);
    try {
      const raw = await readRelationMatrix(ctx.db, relation, plan, trainingSettings().memoryMb * 1024 * 1024, copy, trainingReadPace(ctx));
      const data = await prepareDataset({ plan, raw, options: { testSize, testSampling } }, ctx.signal);
      await insertSnapshot(ctx.db, {
        reservedId: id,
        relationName: args.relation_name,
        yColumnNames: [args.y_column_name],
        testSize,
        testSampling,
        columns: data.snapshotColumns,
        analysis: data.analysis,
        materialized: true,
      });
    } catch (error) {
      // Outside a transaction block nothing else would remove the copy (inside, the rollback does).
      await dropSnapshotTable(ctx.db, id);
      throw error;
    }
    return [{ relation: args.relation_name, y_column_name: args.y_column_name }];
  },
});
