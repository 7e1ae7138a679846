// modestorm: rapid mode changes while rendering — a new mode every few frames, cycling the list.
import { current, type Workload } from './workload.js';

export const modestorm: Workload = {
  name: 'modestorm',
  description: 'rapid mode changes while rendering: a new mode every 3 frames, cycling through the list',
  setup(env) {
    env.driver.setMode(0, env.mode);
  },
  frame(env, n) {
    if (n % 3 === 0) {
      env.mode = (n / 3) % env.modes.length;
      env.driver.setMode(0, env.mode);
    }
    const { width, height } = current(env);
    env.driver.fill(0, 0, 0, width, height, 0xff000000 | ((n * 0x0a0b0c) & 0xffffff));
    env.driver.fill(0, (n * 13) % (width - 64), (n * 7) % (height - 64), 64, 64, 0xffffffff);
    env.driver.present(0, []);
  },
};
