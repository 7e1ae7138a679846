// Builds test/support/vnc-client/capture.c (a libvncclient program) once per test process and runs
// it against a server: its event lines come back as they are printed, its framebuffer and cursor
// files are read when it exits. buildCapture() returns null, after printing why, only when
// libvncclient itself is missing (Debian: libvncserver-dev); any other build failure throws.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { packageRoot } from '../../../shared/package-root.js';
import { foreignProcessEnv } from '../foreign-env.js';

const SOURCE = path.join(packageRoot, 'test', 'support', 'vnc-client', 'capture.c');

let built: Promise<string> | null = null;

/** Removes build directories that test processes killed before their exit handler left behind. */
function sweepStale(): void {
  const hourAgo = Date.now() - 3600_000;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('pvg-vnc-capture-') && !name.startsWith('pvg-vnc-frame-')) continue;
    const dir = path.join(tmpdir(), name);
    try {
      if (statSync(dir).mtimeMs < hourAgo) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process got there first.
    }
  }
}

export function buildCapture(): Promise<string> {
  built ??= Promise.resolve().then(() => {
    sweepStale();
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-vnc-capture-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'capture');
    const r = spawnSync('cc', ['-O1', '-Wall', '-o', out, SOURCE, '-lvncclient'], { encoding: 'utf8', env: foreignProcessEnv() });
    if (r.error) throw new Error(`cannot run cc to build capture.c: ${r.error.message}`);
    if (r.status !== 0) {
      if (/rfb\/rfbclient\.h|-lvncclient|lvncclient/.test(r.stderr)) {
        // Not hardware: a missing package fails these tests (npm test installs it where it can).
        throw new Error(
          `libvncclient is missing: the VNC client tests need libvncserver-dev (apt-get install libvncserver-dev; npm test installs it as root)\n${r.stderr}`,
        );
      }
      throw new Error(`capture.c does not build:\n${r.stderr}`);
    }
    return out;
  });
  return built;
}

export interface CaptureOptions {
  port: number;
  host?: string;
  password?: string;
  /** libvncclient's encodings string, e.g. "raw", "zrle", "tight", "copyrect raw". */
  encodings?: string;
  cursor?: 'none' | 'rich' | 'alpha';
  bpp?: 32 | 16 | 8;
  /** Updates to wait for after the first (after the resize with untilResize). */
  updates?: number;
  untilResize?: boolean;
  /** Print a `frame …` line describing the framebuffer after every update (32 bpp). */
  checkFrames?: boolean;
  /** Then go on reading until finishWhenIdle() was called and the server sent nothing for this long (ms). */
  idleMs?: number;
  timeoutMs?: number;
  pointer?: [number, number];
  key?: number;
  cut?: string;
}

export interface CaptureFrame {
  width: number;
  height: number;
  bytesPerPixel: number;
  data: Buffer;
}

export interface CaptureCursor {
  kind: 'rich' | 'alpha';
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  bytesPerPixel: number;
  /** rich: pixels in the client format then a 0/1 byte per pixel; alpha: R, G, B, A bytes. */
  data: Buffer;
}

export interface CaptureResult {
  code: number | null;
  lines: string[];
  stderr: string;
  frame: CaptureFrame | null;
  cursor: CaptureCursor | null;
}

export class CaptureRun {
  readonly lines: string[] = [];
  readonly result: Promise<CaptureResult>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(binary: string, opts: CaptureOptions) {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-vnc-frame-'));
    const out = path.join(dir, 'frame');
    const args = ['--port', String(opts.port), '--out', out];
    if (opts.host) args.push('--host', opts.host);
    if (opts.password !== undefined) args.push('--password', opts.password);
    args.push('--encodings', opts.encodings ?? 'raw', '--cursor', opts.cursor ?? 'none', '--bpp', String(opts.bpp ?? 32));
    args.push('--updates', String(opts.updates ?? 0), '--timeout-ms', String(opts.timeoutMs ?? 15_000));
    if (opts.untilResize) args.push('--until-resize');
    if (opts.checkFrames) args.push('--check-frames');
    if (opts.idleMs !== undefined) args.push('--idle-ms', String(opts.idleMs));
    if (opts.pointer) args.push('--pointer', `${opts.pointer[0]},${opts.pointer[1]}`);
    if (opts.key !== undefined) args.push('--key', String(opts.key));
    if (opts.cut !== undefined) args.push('--cut', opts.cut);
    this.child = spawn(binary, args, { stdio: [opts.idleMs !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: foreignProcessEnv() });
    this.child.stdin?.on('error', () => undefined); // it may have exited first (EPIPE): its exit status tells
    let stdout = '';
    let stderr = '';
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      const parts = stdout.split('\n');
      stdout = parts.pop()!;
      this.lines.push(...parts);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    this.result = new Promise((resolve) => {
      this.child.on('close', (code) => {
        if (stdout) this.lines.push(stdout);
        for (const f of this.waiters) f();
        const result = { code, lines: this.lines, stderr, frame: readFrame(out), cursor: readCursor(`${out}.cursor`) };
        rmSync(dir, { recursive: true, force: true });
        resolve(result);
      });
    });
  }

  /** The first printed line matching `re` (waits for it; rejects if the program exits first). */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.result.then(() => (exited = true));
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (exited) throw new Error(`capture exited without printing ${re}; lines: ${this.lines.join(' | ')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; lines: ${this.lines.join(' | ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** With idleMs: sends a PointerEvent (RFB button mask) now. */
  pointer(x: number, y: number, buttons: number): void {
    this.child.stdin!.write(`p ${x} ${y} ${buttons}\n`);
  }

  /** With idleMs: sends a KeyEvent for an X11 keysym now. */
  key(keysym: number, down: boolean): void {
    this.child.stdin!.write(`k ${keysym.toString(16)} ${down ? 1 : 0}\n`);
  }

  /** With idleMs: the server has nothing more coming; end once it has been quiet for idleMs. */
  finishWhenIdle(): void {
    this.child.stdin?.end();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export function startCapture(binary: string, opts: CaptureOptions): CaptureRun {
  return new CaptureRun(binary, opts);
}

function readFrame(file: string): CaptureFrame | null {
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'PVGF') throw new Error('capture frame file has a bad magic');
  const width = b.readUInt32LE(4);
  const height = b.readUInt32LE(8);
  const bytesPerPixel = b.readUInt32LE(12);
  return { width, height, bytesPerPixel, data: b.subarray(16) };
}

function readCursor(file: string): CaptureCursor | null {
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'PVGC') throw new Error('capture cursor file has a bad magic');
  return {
    kind: b.readUInt32LE(4) === 1 ? 'rich' : 'alpha',
    width: b.readUInt32LE(8),
    height: b.readUInt32LE(12),
    hotX: b.readUInt32LE(16),
    hotY: b.readUInt32LE(20),
    bytesPerPixel: b.readUInt32LE(24),
    data: b.subarray(28),
  };
}

/**
 * The pixel value libvncclient should hold for an ARGB word in each format capture can ask for
 * (little-endian host): 32 = R at bit 0, G at 8, B at 16; 16 = 5-5-5 at 0, 5, 10; 8 = BGR233
 * (R 3 bits at 0, G 3 bits at 3, B 2 bits at 6). Channels scale with rounding, as RFB servers do.
 */
export function expectedClientPixel(argb: number, bpp: 32 | 16 | 8): number {
  const r = (argb >>> 16) & 0xff;
  const g = (argb >>> 8) & 0xff;
  const b = argb & 0xff;
  const s = (c: number, max: number) => Math.round((c * max) / 255);
  if (bpp === 32) return r | (g << 8) | (b << 16);
  if (bpp === 16) return s(r, 31) | (s(g, 31) << 5) | (s(b, 31) << 10);
  return s(r, 7) | (s(g, 7) << 3) | (s(b, 3) << 6);
}

/** The frame's pixel values (colour bits only: 32-bit frames are masked to 24 bits). */
export function frameValues(f: CaptureFrame): Uint32Array {
  const n = f.width * f.height;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = f.bytesPerPixel === 4 ? f.data.readUInt32LE(i * 4) & 0xffffff : f.bytesPerPixel === 2 ? f.data.readUInt16LE(i * 2) : f.data[i]!;
  }
  return out;
}

/** Index of the first pixel where a captured frame differs from the ARGB source, or -1. */
export function firstMismatch(f: CaptureFrame, argb: Uint32Array, width: number, height: number): number {
  if (f.width !== width || f.height !== height) return 0;
  const got = frameValues(f);
  const bpp = (f.bytesPerPixel * 8) as 32 | 16 | 8;
  for (let i = 0; i < width * height; i++) if (got[i] !== expectedClientPixel(argb[i]!, bpp)) return i;
  return -1;
}
