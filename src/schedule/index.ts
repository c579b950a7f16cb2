export { compileSchedule, nextRun, validateSchedule } from './cron.js';
export { FIRST_RUN_LOOKBACK_MS, isDue } from './isDue.js';
