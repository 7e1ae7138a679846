// The task-space limits of the configuration, checked on the main thread with the device actor's
// own rules (actors/device/task-space.ts), so a bad one fails before any thread starts.
import { checkTaskSpaceLimits, DEFAULT_TASK_SPACE_LIMITS, TaskSpaceConfigError, type TaskSpaceLimits } from '../actors/device/task-space.js';
import { VmConfigError } from './config-error.js';
import { onlyKnownKeys, optionsObject } from './config-values.js';

export function checkLimits(value: unknown): Partial<TaskSpaceLimits> {
  const limits = optionsObject<Partial<TaskSpaceLimits>>(value, 'limits', {});
  onlyKnownKeys(limits, Object.keys(DEFAULT_TASK_SPACE_LIMITS), 'limits');
  try {
    checkTaskSpaceLimits(limits);
  } catch (err) {
    if (err instanceof TaskSpaceConfigError) throw new VmConfigError(`limits.${err.field}`, err.detail);
    throw err;
  }
  return { ...limits };
}
