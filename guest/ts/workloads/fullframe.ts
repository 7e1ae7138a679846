// fullframe: every frame fully redrawn (a fill of the whole frame and large blits), for throughput.
import { WORKLOAD_CTX, current, mappedBuffer, writeImage, type Workload } from './workload.js';

const TILE = 256;

export const fullframe: Workload = {
  name: 'fullframe',
  description: 'every frame fully redrawn: a full-frame fill and 256x256 blits, whole-frame present',
  setup(env) {
    const gpa = mappedBuffer(env, WORKLOAD_CTX, TILE * TILE * 4);
    writeImage(env, gpa, TILE, TILE, (x, y) => 0xff000000 | (x << 16) | (y << 8) | ((x ^ y) & 0xff));
    env.driver.setMode(0, env.mode);
  },
  frame(env, n) {
    const { width, height } = current(env);
    const d = env.driver;
    d.fill(0, 0, 0, width, height, 0xff000000 | ((n * 0x010305) & 0xffffff));
    const dx = (n * 16) % Math.max(1, width - TILE);
    for (let y = 0; y + TILE <= height; y += TILE) d.blit(0, WORKLOAD_CTX, 0, TILE * 4, dx, y, TILE, TILE, false);
    d.present(0, []);
  },
};
