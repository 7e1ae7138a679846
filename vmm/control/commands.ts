// What each control command does to the VM, and what it answers. The VM is reached only through
// its public methods (ControlledVm), so the socket can do nothing an embedder cannot.
import { writeFile } from 'node:fs/promises';

import type { KeptFrame } from '../../actors/device/messages.js';
import type { PauseReport, ResetOptions } from '../lifecycle.js';
import type { VmStats } from '../vm.js';
import { CommandFailed, ControlError, InvalidArguments, NoFrame, NotSupported } from './errors.js';
import { COMMANDS, COMMAND_NAMES, type Request } from './requests.js';

/** The part of a Vm the control socket uses (vm.ts's Vm has all of it). */
export interface ControlledVm {
  readonly config: { readonly devices: readonly { readonly displays: readonly unknown[] }[] };
  readonly paused: boolean;
  /** The guests' frames when the snapshot it was restored from was saved (null or absent: it booted). */
  readonly restoredAtFrames?: number | null;
  stats(): Promise<VmStats>;
  frame(device: number, display: number): Promise<KeptFrame | null>;
  pause(): Promise<PauseReport | null>;
  resume(): Promise<void>;
  reset(options: ResetOptions): Promise<void>;
  /** Issue 19 item 3 (snapshots), being built apart: `save` calls it once it exists. */
  saveSnapshot?: (file: string) => Promise<unknown>;
}

export interface CommandContext {
  vm: ControlledVm;
  /** PNG bytes of a frame (cursor composited), encoded off the main thread. */
  encodePng(frame: KeptFrame): Promise<Uint8Array>;
}

/** A command's answer, and what to do once it is sent (stop: the answer goes out first). */
export interface Outcome {
  result: unknown;
  afterAnswer?: 'stop';
}

/** Runs a request (after capabilities negotiation); every failure is a ControlError. */
export async function execute(request: Request, ctx: CommandContext): Promise<Outcome> {
  try {
    return await run(request, ctx);
  } catch (err) {
    if (err instanceof ControlError) throw err;
    const e = err as Error;
    throw new CommandFailed(`${request.command}: ${e.message}`, e.name ?? 'Error');
  }
}

async function run(request: Request, { vm, encodePng }: CommandContext): Promise<Outcome> {
  switch (request.command) {
    case 'qmp_capabilities':
      return { result: {} };
    case 'commands':
      return { result: COMMAND_NAMES.map((name) => ({ name, arguments: COMMANDS[name].args, help: COMMANDS[name].help })) };
    case 'status':
      return { result: { status: vm.paused ? 'paused' : 'running' } };
    case 'stats': {
      const stats = await vm.stats();
      const frames = stats.vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
      // framesDone is the guests' own count (since boot, a restore included); stats' counters are since this VM started.
      return { result: { status: vm.paused ? 'paused' : 'running', framesDone: frames, framesAtRestore: vm.restoredAtFrames ?? null, stats } };
    }
    case 'snapshot': {
      const { device, display } = request;
      const d = vm.config.devices[device];
      if (!d) throw new InvalidArguments(`snapshot: no device ${device} (the VM has ${vm.config.devices.length})`);
      if (display >= d.displays.length) throw new InvalidArguments(`snapshot: device ${device} has no display ${display} (it has ${d.displays.length})`);
      const frame = await vm.frame(device, display);
      if (!frame) throw new NoFrame(`device ${device} display ${display} has no frame yet (no mode set)`);
      const png = await encodePng(frame);
      const meta = { device, display, width: frame.width, height: frame.height, bytes: png.byteLength };
      if (request.path === null) return { result: { ...meta, png: Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64') } };
      await writeFile(request.path, png);
      return { result: { ...meta, path: request.path } };
    }
    case 'pause': {
      const report = await vm.pause();
      return { result: report ? { paused: true, ...report } : { paused: true, alreadyPaused: true } };
    }
    case 'resume': {
      // As QMP's `cont` on a running VM: nothing to do, not an error.
      if (!vm.paused) return { result: { resumed: false } };
      await vm.resume();
      return { result: { resumed: true } };
    }
    case 'reset':
      await vm.reset({ clearRam: request.clearRam });
      return { result: { status: vm.paused ? 'paused' : 'running' } };
    case 'stop':
      return { result: {}, afterAnswer: 'stop' };
    case 'save': {
      if (typeof vm.saveSnapshot !== 'function')
        throw new NotSupported('save: this VM cannot save snapshots yet (vm.saveSnapshot does not exist; issue 19 item 3)');
      const report = await vm.saveSnapshot(request.path);
      return { result: { path: request.path, ...(report !== null && typeof report === 'object' ? { report } : {}) } };
    }
  }
}
