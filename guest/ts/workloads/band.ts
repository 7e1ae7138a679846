// band: a full-width band covering damagePercent of the frame is redrawn each frame — tiles of a
// window-like image (title bar, panes, runs of text: what VNC encoders usually see) over a fill —
// and only the band is presented; it moves down the screen and the rest stays. Cost should follow
// the band's size (bench frames).
import { WORKLOAD_CTX, current, mappedBuffer, writeImage, type Workload } from './workload.js';

const TILE = 256;

export const band: Workload = {
  name: 'band',
  description: 'a full-width band of --damage percent of the frame redrawn (window-like tiles) and presented each frame (default 100)',
  setup(env) {
    const { width, height } = current(env);
    const gpa = mappedBuffer(env, WORKLOAD_CTX, TILE * TILE * 4);
    // A window-like tile: a title bar, a sidebar, a content pane and runs of "text".
    writeImage(env, gpa, TILE, TILE, (x, y) => {
      const text = y >= 40 && y % 16 < 10 && x > 72 && (x * 7 + (y >> 4) * 13) % 11 < 6;
      if (text) return 0xff202020;
      return y < 24 ? 0xff3050a0 : x < 64 ? 0xffe0e0e0 : 0xffffffff;
    });
    env.driver.setMode(0, env.mode);
    env.driver.fill(0, 0, 0, width, height, 0xff102030);
    env.driver.present(0, []);
  },
  frame(env, n) {
    const { width, height } = current(env);
    const d = env.driver;
    const rows = Math.max(1, Math.min(height, Math.round((height * env.damagePercent) / 100)));
    const top = rows === height ? 0 : (n * rows) % (height - rows + 1);
    d.fill(0, 0, top, width, rows, 0xff000000 | ((n * 0x030507 + env.rng.next()) & 0xffffff));
    // Tiles shifted a little each frame, so consecutive frames differ everywhere in the band.
    const shift = (n * 8) % TILE;
    for (let y = top; y < top + rows; y += TILE) {
      const h = Math.min(TILE, top + rows - y);
      for (let x = shift; x + TILE <= width; x += TILE) d.blit(0, WORKLOAD_CTX, 0, TILE * 4, x, y, TILE, h, false);
    }
    d.present(0, rows === height ? [] : [{ x: 0, y: top, w: width, h: rows }]);
  },
};
