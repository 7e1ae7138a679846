// present: draws a window-like picture once, then only presents the whole frame, frame after
// frame: the pipeline from present to the compositor's surface with no drawing in the way
// (bench frames measures its throughput against memcpy).
import { band } from './band.js';
import type { Workload } from './workload.js';

export const present: Workload = {
  name: 'present',
  description: 'the whole frame presented every frame with nothing redrawn: the present → compositor pipeline alone',
  setup(env) {
    band.setup(env);
    band.frame(env, 0); // one full band of tiles: something worth looking at
  },
  frame(env) {
    env.driver.present(0, []);
  },
};
