// multihead: every display of the device at once. Each display gets a mode (the start mode, or
// its last one if it has fewer), a background of its own colour and a square that moves across
// it; every frame presents only the squares' old and new places, on every display.
import { type Workload } from './workload.js';

const SQUARE = 24;

/** Display k's background: distinct per display, so a test can tell them apart. */
export function multiheadBackground(display: number): number {
  return (0xff000000 | ((0x30 + display * 0x40) << 16) | ((0x80 + display * 0x20) << 8) | (0xc0 - display * 0x30)) >>> 0;
}

function squareAt(width: number, height: number, display: number, n: number): { x: number; y: number } {
  return { x: ((n + display * 7) * 11) % (width - SQUARE), y: ((n + display * 5) * 7) % (height - SQUARE) };
}

function modeOf(env: Parameters<Workload['setup']>[0], display: number) {
  const modes = env.displayModes[display]!;
  return modes[Math.min(env.mode, modes.length - 1)]!;
}

export const multihead: Workload = {
  name: 'multihead',
  description: 'every display of the device: its own background and a moving square each, damage only',
  setup(env) {
    env.displayModes.forEach((modes, k) => {
      const m = modeOf(env, k);
      env.driver.setMode(k, modes.indexOf(m));
      env.driver.fill(k, 0, 0, m.width, m.height, multiheadBackground(k));
      env.driver.present(k, []);
    });
  },
  frame(env, n) {
    env.displayModes.forEach((_, k) => {
      const { width, height } = modeOf(env, k);
      const before = squareAt(width, height, k, n);
      const after = squareAt(width, height, k, n + 1);
      env.driver.fill(k, before.x, before.y, SQUARE, SQUARE, multiheadBackground(k));
      env.driver.fill(k, after.x, after.y, SQUARE, SQUARE, 0xffffffff);
      env.driver.present(k, [
        { x: before.x, y: before.y, w: SQUARE, h: SQUARE },
        { x: after.x, y: after.y, w: SQUARE, h: SQUARE },
      ]);
    });
  },
};

/** Where display k's square is after `frames` frames (for tests). */
export function multiheadSquare(width: number, height: number, display: number, frames: number): { x: number; y: number; size: number } {
  return { ...squareAt(width, height, display, frames), size: SQUARE };
}
