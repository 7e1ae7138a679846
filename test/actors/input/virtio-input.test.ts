// The virtio-input keyboard and tablet as a driver sees them through the transport: the
// configuration selects of virtio 1.2 §5.8.4, events filled into the driver's buffers in order
// with a SYN_REPORT after each report, events that wait for buffers, a bounded backlog, a
// too-small buffer refused; a status queue drained.
import { describe, expect, it } from 'vitest';

import {
  InputAbs,
  InputCode,
  InputEv,
  VIRTIO_ID_INPUT,
  VIRTIO_INPUT_ABS_MAX,
  VIRTQ_DESC_F_WRITE,
  VirtioInputCfg as Cfg,
  VirtioMmioReg as Reg,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { PENDING_EVENTS_MAX, VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import type { InputDeviceKind } from '../../../actors/input/input-config.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { VirtioMmioTransport } from '../../../shared/virtio/mmio-transport.js';
import { VirtioInputTestDriver, queueArea } from '../../support/virtio-input-driver.js';

const RAM = 0x4000_0000;
const BASE = 0x3100_0000;
const text = (b: Uint8Array) => String.fromCharCode(...b);

function rig(kind: InputDeviceKind) {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: 0x10_0000 }] });
  const levels: boolean[] = [];
  const device = new VirtioInputDevice(kind, 'serial-7', (model) => new VirtioMmioTransport(memory, model, (high) => levels.push(high)));
  const port = {
    mmioRead: (a: number, s: number) => device.transport.read(a - BASE, s),
    mmioWrite: (a: number, s: number, v: number) => device.transport.write(a - BASE, s, v),
  };
  const driver = new VirtioInputTestDriver(port, memory, BASE, RAM);
  return { memory, device, driver, levels };
}

function ready(kind: InputDeviceKind, buffers = 16) {
  const r = rig(kind);
  expect(r.driver.negotiate()).toBe(true);
  expect(r.driver.setupEventQueue(buffers)).toBe(true);
  r.driver.driverOk();
  return r;
}

const syn = { type: InputEv.Syn, code: InputCode.SynReport, value: 0 };

describe('virtio-input configuration space', () => {
  it('answers the keyboard: name, serial, ids, no properties, EV_KEY with KEY_ESC..KeyMax, no axes', () => {
    const { driver } = rig('keyboard');
    expect(driver.probe().deviceId).toBe(VIRTIO_ID_INPUT);
    expect(text(driver.config(Cfg.IdName, 0))).toBe('PVG Virtio Keyboard');
    expect(text(driver.config(Cfg.IdSerial, 0))).toBe('serial-7');
    expect([...driver.config(Cfg.IdDevids, 0)]).toEqual([0x06, 0, 0x27, 0x06, 1, 0, 1, 0]);
    expect(driver.config(Cfg.PropBits, 0)).toHaveLength(0);
    const keys = driver.config(Cfg.EvBits, InputEv.Key);
    expect(keys).toHaveLength(32);
    expect(keys[0]).toBe(0xfe); // KEY_RESERVED (0) is not a key
    expect(keys.subarray(1).every((b) => b === 0xff)).toBe(true);
    expect(driver.config(Cfg.EvBits, InputEv.Abs)).toHaveLength(0);
    expect(driver.config(Cfg.AbsInfo, 0)).toHaveLength(0);
    expect(driver.config(Cfg.Unset, 0)).toHaveLength(0);
    expect(driver.config(0x7f, 3)).toHaveLength(0);
  });

  it('answers the tablet: the three buttons, ABS_X and ABS_Y over 0..ABS_MAX', () => {
    const { driver } = rig('tablet');
    expect(text(driver.config(Cfg.IdName, 0))).toBe('PVG Virtio Tablet');
    const buttons = driver.config(Cfg.EvBits, InputEv.Key);
    expect(buttons).toHaveLength((InputCode.BtnMiddle >> 3) + 1);
    expect(buttons[InputCode.BtnLeft >> 3]).toBe(0b111);
    expect([...driver.config(Cfg.EvBits, InputEv.Abs)]).toEqual([0b11]);
    const abs = driver.config(Cfg.AbsInfo, InputAbs.Y);
    expect(abs).toHaveLength(20);
    expect(new DataView(abs.buffer).getUint32(4, true)).toBe(VIRTIO_INPUT_ABS_MAX);
    expect(driver.config(Cfg.AbsInfo, 2)).toHaveLength(0);
  });

  it('reads the union in 2- and 4-byte pieces as little-endian; refuses writes past subsel', () => {
    const r = rig('keyboard');
    r.driver.config(Cfg.IdName, 0);
    expect(r.driver.read(Reg.Config + 8, 4)).toBe(0x20475650); // 'PVG '
    expect(r.driver.read(Reg.Config + 8, 2)).toBe(0x5650);
    r.driver.write(Reg.Config + 2, 9, 1); // size is the device's
    r.driver.write(Reg.Config + 8, 1, 4);
    expect(r.device.stats().faults).toEqual({ 'config-write-refused': 2 });
    expect(r.driver.read(Reg.Config + 2, 1)).toBe('PVG Virtio Keyboard'.length);
  });
});

describe('virtio-input events', () => {
  it('fills the keyboard buffers with each key and a SYN_REPORT, and interrupts', () => {
    const r = ready('keyboard');
    expect(r.device.key(30, true)).toBe(true);
    expect(r.device.key(30, false)).toBe(true);
    expect(r.driver.takeEvents()).toEqual([{ type: InputEv.Key, code: 30, value: 1 }, syn, { type: InputEv.Key, code: 30, value: 0 }, syn]);
    expect(r.levels).toEqual([true]);
    expect(r.driver.acknowledge()).toBe(1);
    expect(r.levels).toEqual([true, false]);
  });

  it('sends the tablet only what changed: axes, then buttons, then SYN_REPORT', () => {
    const r = ready('tablet');
    r.device.pointer(100, 200, 0);
    r.device.pointer(100, 250, 1);
    r.device.pointer(100, 250, 1); // nothing new
    r.device.pointer(100, 250, 4);
    const abs = (code: number, value: number) => ({ type: InputEv.Abs, code, value });
    const key = (code: number, value: number) => ({ type: InputEv.Key, code, value });
    expect(r.driver.takeEvents()).toEqual([
      abs(InputAbs.X, 100),
      abs(InputAbs.Y, 200),
      syn,
      abs(InputAbs.Y, 250),
      key(InputCode.BtnLeft, 1),
      syn,
      key(InputCode.BtnLeft, 0),
      key(InputCode.BtnRight, 1),
      syn,
    ]);
  });

  it('refuses events a device does not have, or out of range', () => {
    const k = ready('keyboard');
    const t = ready('tablet');
    expect([k.device.key(0, true), k.device.key(256, true), k.device.key(1.5, true), k.device.pointer(1, 1, 0)]).toEqual([false, false, false, false]);
    expect([t.device.key(30, true), t.device.pointer(-1, 0, 0), t.device.pointer(0, VIRTIO_INPUT_ABS_MAX + 1, 0)]).toEqual([false, false, false]);
    expect(k.device.stats().refused + t.device.stats().refused).toBe(7);
  });

  it('keeps events until the driver gives buffers, and delivers them on its notify', () => {
    const r = rig('keyboard');
    r.device.key(2, true); // no driver yet
    r.driver.negotiate(); // a reset: events for no driver are dropped
    expect(r.device.stats().events.dropped).toBe(2);
    expect(r.driver.setupEventQueue(2)).toBe(true);
    r.driver.driverOk();
    for (let i = 0; i < 3; i++) r.device.key(2 + i, true);
    // Two buffers: two events in, four wait; each takeEvents() gives the buffers back and notifies.
    expect(r.device.stats().events.pending).toBe(4);
    const got = [...r.driver.takeEvents(), ...r.driver.takeEvents(), ...r.driver.takeEvents(), ...r.driver.takeEvents()];
    expect(got.filter((e) => e.type === InputEv.Key).map((e) => e.code)).toEqual([2, 3, 4]);
    expect(r.device.stats().events).toEqual({ injected: 8, delivered: 6, pending: 0, dropped: 2 });
  });

  it('drops whole reports once PENDING_EVENTS_MAX events wait', () => {
    const r = rig('keyboard');
    r.driver.negotiate();
    let accepted = 0;
    for (let i = 0; i < PENDING_EVENTS_MAX; i++) if (r.device.key(30, i % 2 === 0)) accepted++;
    expect(accepted).toBe(PENDING_EVENTS_MAX / 2);
    expect(r.device.stats().events).toMatchObject({ pending: PENDING_EVENTS_MAX, dropped: PENDING_EVENTS_MAX });
  });

  it('refuses an event buffer shorter than an event: the device needs a reset, the VM goes on', () => {
    const r = rig('keyboard');
    r.driver.negotiate();
    r.driver.prepare(4);
    r.driver.writeDescriptor(0, BigInt(RAM + 0x8000), 4, VIRTQ_DESC_F_WRITE, 0);
    r.driver.offer(0);
    const a = queueArea(RAM);
    r.driver.setupQueue(0, 4, a.desc, a.avail, a.used);
    r.driver.driverOk();
    r.device.key(30, true);
    expect(r.device.stats().faults).toEqual({ 'buffer-too-small': 1 });
    expect(r.driver.read(Reg.Status) & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
    // The driver resets and starts over; the device works again.
    expect(r.driver.negotiate()).toBe(true);
    expect(r.driver.setupEventQueue(8)).toBe(true);
    r.driver.driverOk();
    r.device.key(31, true);
    expect(r.driver.takeEvents()[0]).toEqual({ type: InputEv.Key, code: 31, value: 1 });
  });

  it('takes LED events off the status queue and returns the buffers', () => {
    const r = ready('keyboard');
    // Queue 1 at another spot in RAM, one readable 8-byte event.
    const d2 = new VirtioInputTestDriver(
      { mmioRead: (a, s) => r.device.transport.read(a - BASE, s), mmioWrite: (a, s, v) => r.device.transport.write(a - BASE, s, v) },
      r.memory,
      BASE,
      RAM + 0x10000,
    );
    r.driver.write(Reg.Status, r.driver.read(Reg.Status)); // no change
    d2.prepare(4);
    d2.writeDescriptor(0, BigInt(RAM + 0x20000), 8, 0, 0);
    d2.offer(0);
    const a = queueArea(RAM + 0x10000);
    expect(d2.setupQueue(1, 4, a.desc, a.avail, a.used)).toBe(true);
    d2.notify(1);
    expect(r.device.stats().statusEvents).toBe(1);
  });
});

describe('virtio-input while the VM is paused', () => {
  it('keeps injected events out of guest RAM while held, and delivers them on release', () => {
    const r = ready('keyboard');
    r.device.hold(true);
    r.device.key(16, true);
    expect(r.driver.takeEvents()).toEqual([]);
    expect(r.device.stats().events.pending).toBe(2);
    r.device.hold(false);
    expect(r.driver.takeEvents()).toEqual([{ type: InputEv.Key, code: 16, value: 1 }, syn]);
  });
});
