// The guest's side of virtio-input without a VM: the driver against a device model stand-in that
// answers its MMIO and fills the used ring by hand (including entries a broken device might
// write), and the decoding of raw events into key and pointer reports.
import { describe, expect, it } from 'vitest';

import {
  InputAbs,
  InputCode,
  InputEv,
  VIRTIO_ID_INPUT,
  VIRTIO_INPUT_ABS_MAX,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VirtioMmioReg as Reg,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { scaleToAxis } from '../../../actors/input/axis.js';
import { GuestInputDevices, axisToPixel } from '../../../guest/ts/guest-input.js';
import { PageAllocator } from '../../../guest/ts/page-allocator.js';
import { VirtioInputGuestDriver, type VirtioPort } from '../../../guest/ts/virtio-input.js';
import { GuestVirtioMmio } from '../../../guest/ts/virtio-mmio-guest.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRuns } from '../../../guest/ts/glyphs.js';
import { keyChar } from '../../../guest/ts/keymap.js';
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';

const RAM = 0x4000_0000;

/** A register file that accepts the driver's setup and remembers where the queue is. */
class FakeDevice implements VirtioPort {
  readonly regs = new Map<number, number>();
  status = 0;
  notifies = 0;
  queue = { desc: 0, avail: 0, used: 0, ready: 0 };
  refuseFeatures = false;

  read(address: number): number {
    const r = address - 0x3100_0000;
    if (r === Reg.MagicValue) return VIRTIO_MMIO_MAGIC;
    if (r === Reg.Version) return VIRTIO_MMIO_VERSION;
    if (r === Reg.DeviceId) return VIRTIO_ID_INPUT;
    if (r === Reg.DeviceFeatures) return this.regs.get(Reg.DeviceFeaturesSel) === 1 ? 1 : 0;
    if (r === Reg.QueueNumMax) return 64;
    if (r === Reg.QueueReady) return this.queue.ready;
    if (r === Reg.Status) return this.status;
    if (r === Reg.InterruptStatus) return 1;
    return 0; // configuration: size 0, an empty name
  }

  write(address: number, _size: number, value: number): void {
    const r = address - 0x3100_0000;
    this.regs.set(r, value);
    if (r === Reg.Status) this.status = this.refuseFeatures ? value & ~Status.FeaturesOk : value;
    if (r === Reg.QueueDescLow) this.queue.desc = value;
    if (r === Reg.QueueDriverLow) this.queue.avail = value;
    if (r === Reg.QueueDeviceLow) this.queue.used = value;
    if (r === Reg.QueueReady) this.queue.ready = value;
    if (r === Reg.QueueNotify) this.notifies++;
  }
}

function setup(): { dev: FakeDevice; memory: GuestMemory; driver: VirtioInputGuestDriver } {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: 1 << 20 }] });
  const dev = new FakeDevice();
  const driver = new VirtioInputGuestDriver(new GuestVirtioMmio(dev, 0x3100_0000, VIRTIO_ID_INPUT, 0x60), memory, new PageAllocator(RAM, RAM + (1 << 20)));
  return { dev, memory, driver };
}

/** What a device does: write event `e` into the buffer of descriptor `id` and publish used entry `slot` with `len`. */
function use(memory: GuestMemory, dev: FakeDevice, slot: number, id: number, len: number, e?: { type: number; code: number; value: number }): void {
  const desc = new DataView(memory.view(dev.queue.desc + 16 * (id % 64), 16, 'read').slice().buffer);
  if (e && id < 64) {
    const b = new DataView(new ArrayBuffer(8));
    b.setUint16(0, e.type, true);
    b.setUint16(2, e.code, true);
    b.setInt32(4, e.value, true);
    memory.write(Number(desc.getBigUint64(0, true)), new Uint8Array(b.buffer));
  }
  const u = new DataView(new ArrayBuffer(8));
  u.setUint32(0, id, true);
  u.setUint32(4, len, true);
  memory.write(dev.queue.used + 4 + 8 * (slot % 64), new Uint8Array(u.buffer));
  const idx = new DataView(new ArrayBuffer(2));
  idx.setUint16(0, slot + 1, true);
  memory.write(dev.queue.used + 2, new Uint8Array(idx.buffer));
}

const availIdx = (memory: GuestMemory, dev: FakeDevice) => new DataView(memory.view(dev.queue.avail, 4, 'read').slice().buffer).getUint16(2, true);

describe('the guest virtio-input driver', () => {
  it('negotiates VERSION_1, offers all 64 buffers, sets the queue ready and DRIVER_OK', () => {
    const { dev, memory } = setup();
    expect(dev.status).toBe(Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
    expect(dev.queue.ready).toBe(1);
    expect(availIdx(memory, dev)).toBe(64);
    expect([dev.queue.desc % 16, dev.queue.avail % 2, dev.queue.used % 4]).toEqual([0, 0, 0]);
  });

  it('refuses a device that clears FEATURES_OK', () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: 1 << 20 }] });
    const dev = new FakeDevice();
    dev.refuseFeatures = true;
    expect(
      () => new VirtioInputGuestDriver(new GuestVirtioMmio(dev, 0x3100_0000, VIRTIO_ID_INPUT, 0x60), memory, new PageAllocator(RAM, RAM + (1 << 20))),
    ).toThrow(/FEATURES_OK/);
  });

  it('takes events in order, gives each buffer back and notifies once per batch; skips used entries a device got wrong', () => {
    const { dev, memory, driver } = setup();
    expect(driver.pending()).toBe(false);
    use(memory, dev, 0, 5, 8, { type: InputEv.Key, code: 30, value: 1 });
    use(memory, dev, 1, 900, 8); // an id outside the table
    use(memory, dev, 2, 6, 4, { type: InputEv.Key, code: 31, value: 1 }); // a short length
    use(memory, dev, 3, 7, 8, { type: InputEv.Syn, code: InputCode.SynReport, value: 0 });
    expect(driver.pending()).toBe(true);
    const out: { type: number; code: number; value: number }[] = [];
    driver.take(out);
    expect(out).toEqual([
      { type: InputEv.Key, code: 30, value: 1 },
      { type: InputEv.Syn, code: InputCode.SynReport, value: 0 },
    ]);
    expect(driver.pending()).toBe(false);
    expect(dev.notifies).toBe(1);
    expect(availIdx(memory, dev)).toBe(64 + 3); // each buffer used is offered again (the id outside the table is no buffer)
    driver.take(out);
    expect(dev.notifies).toBe(1); // nothing new: no notify
  });

  it('decodes keys at once and the tablet at SYN_REPORT, with RFB-ordered buttons', () => {
    const keyboard = setup();
    const tablet = setup();
    const input = new GuestInputDevices(
      keyboard.driver,
      tablet.driver,
      () => undefined,
      () => false,
    );
    use(keyboard.memory, keyboard.dev, 0, 0, 8, { type: InputEv.Key, code: 42, value: 1 });
    use(keyboard.memory, keyboard.dev, 1, 1, 8, { type: InputEv.Key, code: 42, value: 2 }); // auto-repeat: ignored
    const events = [
      { type: InputEv.Abs, code: InputAbs.X, value: 100 },
      { type: InputEv.Abs, code: InputAbs.Y, value: 200 },
      { type: InputEv.Key, code: InputCode.BtnRight, value: 1 },
      { type: InputEv.Syn, code: InputCode.SynReport, value: 0 },
      { type: InputEv.Syn, code: InputCode.SynReport, value: 0 }, // nothing changed: no report
      { type: InputEv.Key, code: InputCode.BtnLeft, value: 1 },
      { type: InputEv.Key, code: InputCode.BtnRight, value: 0 },
      { type: InputEv.Syn, code: InputCode.SynReport, value: 0 },
    ];
    events.forEach((e, i) => use(tablet.memory, tablet.dev, i, i, 8, e));
    expect(input.take()).toEqual([
      { kind: 'key', code: 42, down: true },
      { kind: 'pointer', x: 100, y: 200, buttons: 4 },
      { kind: 'pointer', x: 100, y: 200, buttons: 1 },
    ]);
  });

  it('maps the axis back to the pixel the host scaled, for every pixel of common modes', () => {
    for (const n of [2, 200, 320, 1080, 1920, 3840]) for (let p = 0; p < n; p++) if (axisToPixel(scaleToAxis(p, n), n) !== p) expect.fail(`${p} of ${n}`);
    expect(axisToPixel(VIRTIO_INPUT_ABS_MAX + 5, 100)).toBe(99);
    expect(axisToPixel(-3, 100)).toBe(0);
  });
});

describe('keymap and glyphs', () => {
  it('types what a US keyboard types, Shift or not', () => {
    expect([keyChar(30, false), keyChar(30, true), keyChar(2, true), keyChar(53, false), keyChar(57, false)]).toEqual(['a', 'A', '!', '/', ' ']);
    expect(keyChar(29, false)).toBeNull(); // Ctrl types nothing
  });

  it('every glyph is 3×5 dots, runs inside it; unknown characters are a box', () => {
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?-+=:;/\'"_()') {
      for (const [row, col, len] of glyphRuns(ch)) {
        expect(row).toBeLessThan(GLYPH_HEIGHT);
        expect(col + len).toBeLessThanOrEqual(GLYPH_WIDTH);
      }
    }
    expect(glyphRuns('a')).toEqual(glyphRuns('A'));
    expect(glyphRuns('€').reduce((n, r) => n + r[2], 0)).toBe(15);
  });
});
