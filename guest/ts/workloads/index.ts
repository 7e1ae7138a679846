// The built-in workloads, by name.
import { band } from './band.js';
import { damage } from './damage.js';
import { desktop } from './desktop.js';
import { fullframe } from './fullframe.js';
import { hostile } from './hostile.js';
import { mapchurn } from './mapchurn.js';
import { modestorm } from './modestorm.js';
import { multihead } from './multihead.js';
import { paint } from './paint.js';
import { present } from './present.js';
import type { Workload } from './workload.js';

export const WORKLOADS: Readonly<Record<string, Workload>> = { desktop, fullframe, damage, band, present, multihead, mapchurn, modestorm, hostile, paint };
export const WORKLOAD_NAMES = Object.keys(WORKLOADS);
export type { GuestEnv, Workload } from './workload.js';
