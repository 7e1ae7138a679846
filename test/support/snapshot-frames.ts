// What a machine ends on, for the snapshot tests' comparisons: once its guests are done and its
// frames settled, each display's mode, frame number, pixels' hash and cursor (place, visibility,
// glyph hash), one string per display in configuration order.
import { createHash } from 'node:crypto';

import type { Vm } from '../../vmm/vm.js';

const sha = (b: NodeJS.ArrayBufferView) => createHash('sha256').update(b).digest('hex');

export async function frameSummaries(vm: Vm): Promise<string[]> {
  await vm.whenGuestsDone();
  await vm.settle();
  const frames: string[] = [];
  for (const [i, d] of vm.config.devices.entries()) {
    for (let j = 0; j < d.displays.length; j++) {
      const f = await vm.frame(i, j);
      if (!f) {
        frames.push('no frame');
        continue;
      }
      const c = f.cursor;
      const glyph = c.glyph ? `${c.glyph.width}x${c.glyph.height}+${c.glyph.hotX},${c.glyph.hotY} ${sha(c.glyph.argb).slice(0, 16)}` : 'none';
      frames.push(`${f.width}x${f.height} seq ${f.frameSeq} ${sha(f.pixels)} cursor ${c.visible ? 'shown' : 'hidden'} ${c.x},${c.y} glyph ${glyph}`);
    }
  }
  return frames;
}
