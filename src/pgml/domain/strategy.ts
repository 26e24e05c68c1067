/**
 * How pgml.deploy picks a model (PostgresML's `orm/strategy.rs`, the pgml.strategy enum). The
 * enum's other two values are not asked for: pgml.train records `new_score` for its own
 * deployments, and pgml.deploy(model_id) records `specific`.
 */
export type Strategy = 'best_score' | 'most_recent' | 'rollback';
export const STRATEGIES: readonly Strategy[] = ['best_score', 'most_recent', 'rollback'];

/** What a row of pgml.deployments records as the reason it was made. */
export type DeploymentStrategy = Strategy | 'new_score' | 'specific';
