// Reading a display's kept frame in tests: wait until it shows something, read one pixel.
import type { KeptFrame } from '../../actors/device/messages.js';
import type { Vm } from '../../vmm/vm.js';

/** The first kept frame of device 0 display 0 for which `done` holds (or the last one after 20 s: the caller's assertion then says what is wrong). */
export async function frameWhen(vm: Vm, done: (f: KeptFrame) => boolean): Promise<KeptFrame> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const f = await vm.frame(0, 0);
    if (f && (done(f) || Date.now() > deadline)) return f;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The ARGB word at (x, y), unsigned. */
export const pixelAt = (f: KeptFrame, x: number, y: number): number => f.pixels[y * f.width + x]! >>> 0;
