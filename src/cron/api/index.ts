import type { FunctionRegistry } from '../../functions/index.js';
import { alterJob } from './alter-job.js';
import { schedule, scheduleNamed } from './schedule.js';
import { scheduleInDatabase } from './schedule-in-database.js';
import { unscheduleById, unscheduleByName } from './unschedule.js';

/** Registers pg_cron's SQL functions, which the proxy evaluates in the caller's session. */
export function registerCronFunctions(registry: FunctionRegistry): void {
  registry.register(schedule, scheduleNamed, scheduleInDatabase, unscheduleById, unscheduleByName, alterJob);
}
