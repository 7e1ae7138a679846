// mapchurn: many contexts, many map/unmap — every frame maps fresh ranges into random contexts,
// blits from them, unmaps them again, and now and then destroys and recreates a context.
import { checkWords, current, writeImage, type Workload } from './workload.js';

const CONTEXTS = 16;
const CTX_BYTES = 16 * 1024 * 1024;
const POOL_PAGES = 64;
const PER_FRAME = 8;

const pools = new WeakMap<object, number>();

export const mapchurn: Workload = {
  name: 'mapchurn',
  description: 'many contexts, many map/unmap: 8 map/blit/unmap per frame over 16 contexts',
  setup(env) {
    const d = env.driver;
    const pool = d.pages.allocate(POOL_PAGES * 4096);
    writeImage(env, pool, 32, (POOL_PAGES * 4096) / 128, (x, y) => 0xff000000 | ((x * 8) << 16) | ((y & 0xff) << 8) | 0x80);
    pools.set(env, pool);
    for (let c = 1; c <= CONTEXTS; c++) d.ctxCreate(c, CTX_BYTES);
    d.setMode(0, env.mode);
    const { width, height } = current(env);
    d.fill(0, 0, 0, width, height, 0xff000000);
  },
  saveState: (env) => [pools.get(env)!],
  loadState(env, words) {
    const bad = checkWords(words, 1);
    if (bad === null) pools.set(env, words[0]!);
    return bad;
  },
  frame(env, n) {
    const d = env.driver;
    const pool = pools.get(env)!;
    const { width, height } = current(env);
    const rects = [];
    for (let i = 0; i < PER_FRAME; i++) {
      const ctx = 1 + env.rng.below(CONTEXTS);
      const pages = 1 + env.rng.below(4);
      const first = env.rng.below(POOL_PAGES - pages);
      const va = env.rng.below(CTX_BYTES / 4096 - pages) * 4096;
      d.map(ctx, va, [{ gpa: pool + first * 4096, length: pages * 4096 }], env.rng.below(2) === 0);
      const x = env.rng.below(width - 32);
      const y = env.rng.below(height - 32);
      d.blit(0, ctx, va, 128, x, y, 32, 32, false);
      d.unmap(ctx, va, pages * 4096);
      rects.push({ x, y, w: 32, h: 32 });
    }
    if (n % 10 === 9) {
      const ctx = 1 + env.rng.below(CONTEXTS);
      d.ctxDestroy(ctx);
      d.ctxCreate(ctx, CTX_BYTES);
    }
    d.present(0, rects);
  },
};
