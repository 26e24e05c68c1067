/**
 * What a project learns (PostgresML's `orm/task.rs`): the values of the pgml.task enum that
 * pgml.train accepts (its text tasks belong to pgml.transform), and the metric models of a task
 * are ranked by when searching and deploying.
 */
export type Task = 'regression' | 'classification' | 'clustering' | 'decomposition';

export type KeyMetric = 'r2' | 'f1' | 'silhouette' | 'cumulative_explained_variance';

/** The metric PostgresML ranks models by (Task::default_target_metric); higher is better for all four. */
export function keyMetric(task: Task): KeyMetric {
  switch (task) {
    case 'regression':
      return 'r2';
    case 'classification':
      return 'f1';
    case 'clustering':
      return 'silhouette';
    case 'decomposition':
      return 'cumulative_explained_variance';
  }
}
