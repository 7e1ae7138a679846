// damage: small changes per frame — a few 32x32 squares move; only their rectangles are presented.
import { current, type Workload } from './workload.js';

const SIZE = 32;
const SQUARES = 4;

export const damage: Workload = {
  name: 'damage',
  description: 'small changes per frame: four 32x32 squares move, only their rectangles are presented',
  setup(env) {
    const { width, height } = current(env);
    env.driver.setMode(0, env.mode);
    env.driver.fill(0, 0, 0, width, height, 0xff202830);
    env.driver.present(0, []);
  },
  frame(env, n) {
    const { width, height } = current(env);
    const d = env.driver;
    const rects = [];
    for (let s = 0; s < SQUARES; s++) {
      const x = ((n + s * 97) * 7 + s * 131) % (width - SIZE);
      const y = ((n + s * 53) * 5 + s * 71) % (height - SIZE);
      d.fill(0, x, y, SIZE, SIZE, 0xff000000 | (env.rng.next() & 0xffffff));
      rects.push({ x, y, w: SIZE, h: SIZE });
    }
    d.present(0, rects);
  },
};
