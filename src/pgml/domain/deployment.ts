/**
 * A row of pgml.deployments (PostgresML's `orm/deployment.rs`) as serving needs it: which model a
 * project serves. Deployments are append-only; the newest row of a project is the one in force.
 */
export interface Deployment {
  projectId: number;
  modelId: number;
}
