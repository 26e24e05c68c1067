/** A row of pgml.projects (PostgresML's `orm/project.rs`): a name and the task its models learn. */
import type { Task } from './task.js';

export interface Project {
  id: number;
  name: string;
  task: Task;
}
