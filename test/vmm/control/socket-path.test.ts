// Binding the control socket (vmm/control/socket-path.ts): owner-only, a stale socket replaced,
// anything else at the path refused and left as it was, the file removed at close only if ours.
import { existsSync, linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ControlSocketError } from '../../../vmm/control/errors.js';
import { listenPrivate, removeBound } from '../../../vmm/control/socket-path.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
const serve = () => {
  const s = net.createServer((c) => {
    c.on('error', () => {}); // listenPrivate's stale probe connects and leaves at once
    c.end('hi');
  });
  servers.push(s);
  return s;
};
const dir = () => mkdtempSync(path.join(tmpdir(), 'pvg-ctl-'));
const connects = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const c = net.connect(file);
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });

describe('listenPrivate', () => {
  it('binds a socket only its owner may use, reachable at the path, and leaves no private directory', async () => {
    const d = dir();
    const file = path.join(d, 'ctl.sock');
    const bound = await listenPrivate(serve(), file);
    expect(bound.path).toBe(file);
    const st = statSync(file);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await connects(file)).toBe('hi');
    expect(readdirSync(d)).toEqual(['ctl.sock']);
    await removeBound(bound);
    expect(existsSync(file)).toBe(false);
  });

  it('replaces a stale socket (nobody listening) and refuses a live one', async () => {
    const d = dir();
    const file = path.join(d, 's');
    // A stale socket: bound, then the process "died" without unlinking (close() unlinks, so re-make it).
    const old = serve();
    await new Promise<void>((r) => old.listen(file, r));
    const fd = lstatSync(file);
    expect(fd.isSocket()).toBe(true);
    // Live: refused, and the live server keeps its path.
    await expect(listenPrivate(serve(), file)).rejects.toThrow(/something listens on: not replacing it/);
    expect(await connects(file)).toBe('hi');
    // Stale: a socket inode nobody listens on (a hard link survives the server's close and unlink).
    const stale = path.join(d, 'stale');
    linkSync(file, stale);
    await new Promise((r) => old.close(r));
    expect(lstatSync(stale).isSocket()).toBe(true);
    const bound = await listenPrivate(serve(), stale);
    expect(await connects(stale)).toBe('hi');
    await removeBound(bound);
  });

  it('refuses a regular file, a directory and a symlink, and leaves them as they were', async () => {
    const d = dir();
    const file = path.join(d, 'notes.txt');
    writeFileSync(file, 'keep me');
    await expect(listenPrivate(serve(), file)).rejects.toBeInstanceOf(ControlSocketError);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await expect(listenPrivate(serve(), d)).rejects.toThrow(/is not a socket/);
    const link = path.join(d, 'link');
    symlinkSync(file, link);
    await expect(listenPrivate(serve(), link)).rejects.toThrow(/is not a socket/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a path too long for sockaddr_un, and a directory that does not exist', async () => {
    const d = dir();
    await expect(listenPrivate(serve(), path.join(d, 'x'.repeat(100)))).rejects.toThrow(/at most 107 bytes/);
    await expect(listenPrivate(serve(), path.join(d, 'missing', 's'))).rejects.toThrow(/cannot make a private directory/);
  });

  it('removes the path at close only while it is still the socket it bound', async () => {
    const d = dir();
    const file = path.join(d, 's');
    const bound = await listenPrivate(serve(), file);
    unlinkSync(file);
    writeFileSync(file, 'someone else');
    await removeBound(bound);
    expect(readFileSync(file, 'utf8')).toBe('someone else');
  });
});
