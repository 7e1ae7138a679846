// `pvg-vmm run --control PATH` driven by a client in another process (this test's): every command,
// then hostile input — bad JSON, unknown commands, wrong argument types, an over-long line, binary
// noise, too many connections, clients racing pause and resume — none of which may touch the VM:
// it still draws every frame, ends on the frame an uninterrupted run ends on, and stops cleanly.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';
import { ControlTestClient } from '../support/control-client.js';
import { startControlledRun } from '../support/control-cli.js';

const BIN = path.join(packageRoot, 'bin', 'pvg-vmm.js');
const WORKLOAD = ['--workload', 'desktop', '--modes', '320x200@60'];
const socketIn = () => path.join(mkdtempSync(path.join(tmpdir(), 'pvg-ctl-')), 'vm.sock');

describe('pvg-vmm run --control', () => {
  it('answers every command from another process, and stop ends the run with its summary', async () => {
    const socket = socketIn();
    const vm = startControlledRun(socket, [...WORKLOAD, '--frames', '100000']);
    try {
      await vm.waitFor(/control socket: /);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const c = await ControlTestClient.connect(socket);
      const greeting = await c.next();
      expect(greeting).toEqual({ QMP: { version: { qemu: expect.any(Object), package: expect.stringMatching(/^pvg-vmm /) }, capabilities: [] } });
      expect((await c.request('status', undefined, 1))?.error?.class).toBe('CommandNotFound'); // before negotiation, as QMP
      expect(await c.request('qmp_capabilities')).toEqual({ return: {} });
      expect((await c.request('qmp_capabilities'))?.error?.class).toBe('CommandNotFound');
      expect(await c.request('status', undefined, 'a')).toEqual({ id: 'a', return: { status: 'running' } });
      const commands = (await c.request('commands'))?.return as { name: string }[];
      expect(commands.map((x) => x.name)).toEqual(expect.arrayContaining(['stats', 'snapshot', 'pause', 'resume', 'reset', 'stop', 'save']));

      const paused = (await c.request('pause', undefined, 2))!;
      expect(paused).toMatchObject({ id: 2, return: { paused: true, vcpusUs: expect.any(Number), quiescentUs: expect.any(Number) } });
      expect((await c.request('pause'))?.return).toEqual({ paused: true, alreadyPaused: true });
      const s1 = (await c.request('stats'))?.return as { status: string; framesDone: number };
      await new Promise((r) => setTimeout(r, 300));
      const s2 = (await c.request('stats'))?.return as { status: string; framesDone: number; stats: { vcpus: unknown[] } };
      expect(s1.status).toBe('paused');
      expect(s2.framesDone).toBe(s1.framesDone); // paused: nothing drawn
      expect(s2.stats.vcpus).toHaveLength(1);

      const shot = (await c.request('snapshot'))?.return as { width: number; height: number; png: string; bytes: number };
      const png = PNG.sync.read(Buffer.from(shot.png, 'base64'));
      expect([png.width, png.height, shot.width, shot.height]).toEqual([320, 200, 320, 200]);
      const file = path.join(path.dirname(socket), 'shot.png');
      expect((await c.request('snapshot', { path: file }))?.return).toMatchObject({ path: file, width: 320, height: 200 });
      expect(PNG.sync.read(readFileSync(file)).data).toEqual(png.data); // the same paused frame
      expect((await c.request('snapshot', { device: 1 }))?.error?.class).toBe('InvalidArguments');
      expect((await c.request('snapshot', { path: '/nonexistent-dir/x.png' }))?.error).toMatchObject({ class: 'CommandFailed', cause: 'Error' });

      expect((await c.request('reset'))?.return).toEqual({ status: 'paused' });
      expect((await c.request('stats'))?.return).toMatchObject({ framesDone: 0 }); // back at the entry
      expect((await c.request('resume'))?.return).toEqual({ resumed: true });
      expect((await c.request('resume'))?.return).toEqual({ resumed: false });
      // A running machine is saved (paused for it, then running again).
      const snap = path.join(path.dirname(socket), 'vm.snap');
      expect((await c.request('save', { path: snap }))?.return).toMatchObject({ path: snap, report: { bytes: statSync(snap).size } });
      expect(await c.request('status')).toEqual({ return: { status: 'running' } });
      expect(await c.request('stop', undefined, 'bye')).toEqual({ id: 'bye', return: {} });
      await c.closed;
      expect(await vm.exited).toBe(0);
      expect(vm.stdout()).toMatch(/^frames: \d+ in /m);
      expect(existsSync(socket)).toBe(false);
    } finally {
      vm.child.kill('SIGKILL');
    }
  });

  it('bad input closes only its own connection or gets an error; the VM draws on to the frame an uninterrupted run ends on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-ctl-'));
    const frames = 150;
    const reference = path.join(dir, 'reference.png');
    const r = spawnSync(process.execPath, [BIN, 'run', ...WORKLOAD, '--frames', String(frames), '--exit', '--snapshot', reference], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);

    const socket = path.join(dir, 'vm.sock');
    const vm = startControlledRun(socket, [...WORKLOAD, '--frames', String(frames)]);
    try {
      await vm.waitFor(/control socket: /);
      const { client: steady } = await ControlTestClient.ready(socket);

      // Errors that leave the connection open.
      const { client: bad } = await ControlTestClient.ready(socket);
      const answers: [string, string][] = [
        ['{"execute": }', 'ParseError'],
        ['\u0001\u0002', 'ParseError'],
        ['[]', 'InvalidRequest'],
        ['{"execute":"stats","junk":true}', 'InvalidRequest'],
        ['{"execute":"stats","id":[1]}', 'InvalidRequest'],
        ['{"execute":"quit"}', 'CommandNotFound'],
        ['{"execute":"constructor"}', 'CommandNotFound'],
        ['{"execute":"reset","arguments":{"clearRam":"no"}}', 'InvalidArguments'],
        ['{"execute":"snapshot","arguments":{"display":-1}}', 'InvalidArguments'],
        ['{"execute":"snapshot","arguments":{"path":"rel.png"}}', 'InvalidArguments'],
        ['{"execute":"pause","arguments":{"now":1}}', 'InvalidArguments'],
      ];
      for (const [line, cls] of answers) {
        bad.send(`${line}\n`);
        expect((await bad.next())?.error?.class, line).toBe(cls);
      }
      expect(await bad.request('status')).toEqual({ return: { status: 'running' } });

      // Over-long line: answered LineTooLong, then that connection only is closed.
      bad.send(Buffer.alloc(70 * 1024, 0x61));
      expect((await bad.next())?.error?.class).toBe('LineTooLong');
      await bad.closed;
      expect(await bad.next()).toBeNull();

      // Binary noise, with and without newlines: errors or a close, nothing else.
      for (let i = 0; i < 4; i++) {
        const noisy = await ControlTestClient.connect(socket);
        expect(await noisy.next()).toHaveProperty('QMP');
        noisy.send(randomBytes(4096 * (i + 1)));
        noisy.send('\n');
        noisy.close();
      }

      // A client that leaves in the middle of a command.
      const leaver = await ControlTestClient.ready(socket);
      leaver.client.send('{"execute":"pause"}\n{"execute":"resume"}\n');
      leaver.client.close();

      // Connections are bounded: 8 at once. steady holds one; the closed ones above free theirs
      // once the server has seen them close, so look until it has (a few tries at most).
      let greeted = 0;
      let refused = 0;
      for (let attempt = 0; attempt < 20 && !(greeted === 7 && refused === 2); attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        const many = await Promise.all(Array.from({ length: 9 }, () => ControlTestClient.connect(socket)));
        const firsts = await Promise.all(many.map((m) => m.next()));
        greeted = firsts.filter((m) => m !== null && 'QMP' in m).length;
        refused = firsts.filter((m) => m?.error?.class === 'TooManyConnections').length;
        for (const m of many) m.close();
        expect(greeted + refused).toBe(9);
      }
      expect([greeted, refused]).toEqual([7, 2]);
      await new Promise((r) => setTimeout(r, 200));

      // The VM never saw any of it: steady's connection answers; resume in case leaver's pause won.
      await steady.request('resume');
      await vm.waitFor(/the guest finished its frames/, 120_000);
      const stats = (await steady.request('stats'))?.return as { framesDone: number; stats: { devices: { errors: unknown }[] } };
      expect(stats.framesDone).toBe(frames);
      const shot = (await steady.request('snapshot'))?.return as { png: string };
      expect(PNG.sync.read(Buffer.from(shot.png, 'base64')).data.equals(PNG.sync.read(readFileSync(reference)).data)).toBe(true);
      expect(await steady.request('stop')).toEqual({ return: {} });
      expect(await vm.exited).toBe(0);
      expect(vm.stdout()).toMatch(/errors: none/);
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 180_000);

  it('clients racing pause, resume, stats and snapshots at random moments leave a run that ends on the uninterrupted frame', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-ctl-'));
    const frames = 200;
    const reference = path.join(dir, 'reference.png');
    const r = spawnSync(process.execPath, [BIN, 'run', ...WORKLOAD, '--frames', String(frames), '--exit', '--snapshot', reference], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const socket = path.join(dir, 'vm.sock');
    const vm = startControlledRun(socket, [...WORKLOAD, '--frames', String(frames)]);
    try {
      await vm.waitFor(/control socket: /);
      const clients = await Promise.all(Array.from({ length: 4 }, () => ControlTestClient.ready(socket)));
      const commands = ['pause', 'resume', 'stats', 'status', 'snapshot', 'resume'] as const;
      let answered = 0;
      await Promise.all(
        clients.map(async ({ client }) => {
          for (let i = 0; i < 25; i++) {
            await new Promise((res) => setTimeout(res, Math.random() * 20));
            const cmd = commands[Math.floor(Math.random() * commands.length)]!;
            const a = await client.request(cmd, undefined, i);
            // A snapshot before the first mode is set has no frame: that is the one error allowed.
            if (a?.error) expect(a.error.class, `${cmd}: ${a.error.desc}`).toBe('NoFrame');
            expect(a?.id).toBe(i);
            answered++;
          }
        }),
      );
      expect(answered).toBe(100);
      const { client } = clients[0]!;
      await client.request('resume');
      await vm.waitFor(/the guest finished its frames/, 120_000);
      expect(((await client.request('stats'))?.return as { framesDone: number }).framesDone).toBe(frames);
      const shot = (await client.request('snapshot'))?.return as { png: string };
      expect(PNG.sync.read(Buffer.from(shot.png, 'base64')).data.equals(PNG.sync.read(readFileSync(reference)).data)).toBe(true);
      expect(await client.request('stop')).toEqual({ return: {} });
      expect(await vm.exited).toBe(0);
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 180_000);

  it('refuses a path that is not a stale socket, leaving it as it was', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-ctl-'));
    const file = path.join(dir, 'precious');
    writeFileSync(file, 'data');
    const r = spawnSync(process.execPath, [BIN, 'run', ...WORKLOAD, '--frames', '2', '--exit', '--control', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot open the control socket: .*precious exists and is not a socket: not replacing it/);
    expect(readFileSync(file, 'utf8')).toBe('data');
    const empty = spawnSync(process.execPath, [BIN, 'run', '--control', '', '--exit'], { encoding: 'utf8', timeout: 60_000 });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--control needs a path/);
  });
});
