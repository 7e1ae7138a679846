// The control socket for embedders: vm.startControl() on a real VM (closed and removed by
// vm.stop()), and ControlServer's dispatch of what only some VMs have — `save` once
// vm.saveSnapshot exists, a VM error's class carried as `cause` — over a stand-in VM.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { LifecycleRefusedError } from '../../../vmm/lifecycle-errors.js';
import type { ControlledVm } from '../../../vmm/control/commands.js';
import { ControlServer } from '../../../vmm/control/server.js';
import { Vm } from '../../../vmm/vm.js';
import { ControlTestClient } from '../../support/control-client.js';

const socketIn = () => path.join(mkdtempSync(path.join(tmpdir(), 'pvg-ctl-')), 's');

/** Only what the dispatch under test reaches; the rest throws so a stray call shows. */
function standIn(extra: Partial<ControlledVm>): ControlledVm {
  const no = () => Promise.reject(new Error('not part of this test'));
  return { config: { devices: [{ displays: [{}] }] }, paused: false, stats: no, frame: no, pause: no, resume: no, reset: no, ...extra };
}

describe('control socket for embedders', () => {
  it('vm.startControl() serves the VM; vm.stop() closes it and removes the socket', async () => {
    const vm = await Vm.create({ devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 5 } });
    const file = socketIn();
    try {
      expect(await vm.startControl(file)).toEqual({ path: file });
      await expect(vm.startControl(socketIn())).rejects.toThrow(/already open/);
      await vm.whenGuestsDone();
      const { client } = await ControlTestClient.ready(file);
      expect((await client.request('stats'))?.return).toMatchObject({ status: 'running', framesDone: 5, framesAtRestore: null });
      expect(await client.request('stop')).toEqual({ return: {} }); // default: vm.stop()
      await client.closed;
      await vm.stop();
      expect(existsSync(file)).toBe(false);
      await expect(vm.startControl(file)).rejects.toThrow(/shut down/);
    } finally {
      await vm.stop();
    }
  });

  it('save calls vm.saveSnapshot where the VM has it, returning its report', async () => {
    const saved: string[] = [];
    const file = socketIn();
    const server = await ControlServer.listen(standIn({ saveSnapshot: (p) => Promise.resolve({ bytes: saved.push(p) * 100 }) }), file);
    try {
      const { client } = await ControlTestClient.ready(file);
      expect(await client.request('save', { path: '/tmp/vm.snap' }, 9)).toEqual({ id: 9, return: { path: '/tmp/vm.snap', report: { bytes: 100 } } });
      expect(saved).toEqual(['/tmp/vm.snap']);
      client.close();
    } finally {
      await server.close();
    }
  });

  it("a VM's refusal is CommandFailed naming the VM's error class; a frameless display is NoFrame", async () => {
    const file = socketIn();
    const vm = standIn({
      pause: () => Promise.reject(new LifecycleRefusedError('vm.pause(): the VM has external vCPUs')),
      frame: () => Promise.resolve(null),
    });
    const server = await ControlServer.listen(vm, file, { onStop: () => {} });
    try {
      const { client } = await ControlTestClient.ready(file);
      expect((await client.request('pause'))?.error).toEqual({
        class: 'CommandFailed',
        desc: 'pause: vm.pause(): the VM has external vCPUs',
        cause: 'LifecycleRefusedError',
      });
      expect((await client.request('snapshot'))?.error?.class).toBe('NoFrame');
      client.close();
    } finally {
      await server.close();
    }
  });

  it('an answer JSON cannot carry is a CommandFailed, and the connection goes on', async () => {
    const file = socketIn();
    const server = await ControlServer.listen(standIn({ saveSnapshot: () => Promise.resolve({ big: 1n }) }), file);
    try {
      const { client } = await ControlTestClient.ready(file);
      expect((await client.request('save', { path: '/x' }, 1))?.error).toMatchObject({ class: 'CommandFailed', cause: 'TypeError' });
      expect(await client.request('status', undefined, 2)).toEqual({ id: 2, return: { status: 'running' } });
      client.close();
    } finally {
      await server.close();
    }
  });

  it('refuses bounds that make no sense', async () => {
    await expect(ControlServer.listen(standIn({}), socketIn(), { maxConnections: 0 })).rejects.toThrow(RangeError);
    await expect(ControlServer.listen(standIn({}), socketIn(), { maxLineBytes: 10 })).rejects.toThrow(RangeError);
  });
});
