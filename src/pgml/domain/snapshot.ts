/**
 * A row of pgml.snapshots (PostgresML's `orm/snapshot.rs`): the relation and label columns a model
 * was trained on, how its test split was drawn, and whether the rows were copied (materialized).
 */
import type { SnapshotColumn } from '../preparation/dataset.js';
import type { Sampling } from '../preparation/sampling.js';

export interface Snapshot {
  id: number;
  relationName: string;
  yColumnNames: string[];
  testSize: number;
  testSampling: Sampling;
  materialized: boolean;
  columns: SnapshotColumn[] | null;
}

/** How PostgresML names a snapshot in its notices (Snapshot::snapshot_name), copied or not. */
export function snapshotName(id: number): string {
  return `"pgml"."snapshot_${id}"`;
}
