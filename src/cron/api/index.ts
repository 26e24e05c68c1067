import type { FunctionRegistry } from '../../db/functions.js';
import { alterJob } from './alter-job.js';
import { schedule, scheduleInDatabase, scheduleNamed } from './schedule.js';
import { unscheduleById, unscheduleByName } from './unschedule.js';

/** Registers pg_cron's SQL functions, which the proxy evaluates in the caller's session. */
export function registerCronFunctions(registry: FunctionRegistry): void {
  registry
    .register(schedule)
    .register(scheduleNamed)
    .register(scheduleInDatabase)
    .register(unscheduleById)
    .register(unscheduleByName)
    .register(alterJob);
}
