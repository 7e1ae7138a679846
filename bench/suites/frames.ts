// `bench frames`: end-to-end frame throughput — the guest presents, the engine renders and reads
// the frame back into its surface, the compositor copies it into its own frame — with the null
// sink (no client) and with a VNC client, next to memcpy-bound frames/s measured in the same run
// (one native memcpy of the frame: the least work that puts a frame's bytes somewhere new).
import { native } from '../../shared/native/addon.js';
import { Vm } from '../../vmm/vm.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable, ratioTable } from '../report.js';
import { VncLoadClient, type LoadEncoding } from '../vnc-load-client.js';

export interface FramesRun {
  description: string;
  width: number;
  height: number;
  damage_percent: number;
  sink: 'null' | `vnc-${LoadEncoding}`;
  frames: number;
  seconds: number;
  /**
   * Frames that landed in the compositor's surface per second (encodes applied), until the last
   * present was kept. Presents that coalesced into a later frame are not counted.
   */
  fps: number;
  /** Frames the guest presented per second over the same time (≥ fps; the rest coalesced). */
  presents_per_s: number;
  coalesced: number;
  /** Bytes the VNC server sent per presented frame (VNC runs only). */
  vnc_bytes_per_frame?: number;
  vnc_updates?: number;
}

export interface FramesBenchResult {
  suite: 'frames';
  machine: MachineInfo;
  memcpy_fps: Record<string, number>;
  runs: Record<string, FramesRun>;
  ratio_fps_vs_memcpy_1080p: number;
  ratio_fps_vs_memcpy_2160p: number;
  /** fps at 1% damage over fps at 100% (1080p): how far cost follows damage. */
  ratio_fps_damage_1_vs_100: number;
  targets: Record<string, string>;
}

export interface FramesBenchOptions {
  scale: number;
  progress?: (what: string) => void;
}

const RESOLUTIONS = [
  { name: '1080p', width: 1920, height: 1080, frames: 400 },
  { name: '2160p', width: 3840, height: 2160, frames: 120 },
];

function memcpyFps(width: number, height: number, frames: number): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const { ns } = native.benchRender('memcpy', width, height, frames);
    rounds.push((frames * 1e9) / ns);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

async function framesRun(width: number, height: number, damagePercent: number, frames: number, sink: FramesRun['sink']): Promise<FramesRun> {
  const vm = await Vm.create({ ramMiB: 64, devices: [{ displayModes: [`${width}x${height}@60`] }] });
  let client: VncLoadClient | null = null;
  try {
    if (sink !== 'null') {
      const [port] = await vm.startVnc({ port: 0 });
      client = await VncLoadClient.connect(port!, sink.slice(4) as LoadEncoding);
    }
    // Warm up (mode set, first frames, JIT), then measure from a settled start.
    await vm.runWorkload({ name: 'band', frames: 20, damagePercent });
    await vm.whenGuestsDone(2);
    await vm.settle();
    const before = (await vm.stats()).compositor.displays[0]!;
    const t0 = performance.now();
    await vm.runWorkload({ name: 'band', frames, damagePercent, seed: 2 });
    await vm.whenGuestsDone(1);
    await vm.settle(60_000);
    const seconds = (performance.now() - t0) / 1000;
    const after = (await vm.stats()).compositor.displays[0]!;
    const run: FramesRun = {
      description: `band workload, ${damagePercent}% of the frame per frame, ${sink === 'null' ? 'no client (null sink)' : `one VNC client (${sink.slice(4)})`}`,
      width, height, damage_percent: damagePercent, sink, frames, seconds,
      fps: (after.encodes - before.encodes) / seconds,
      presents_per_s: frames / seconds,
      coalesced: after.coalesced - before.coalesced,
    };
    if (after.vnc && before.vnc) {
      run.vnc_bytes_per_frame = (after.vnc.stats.bytesSent - before.vnc.stats.bytesSent) / frames;
      run.vnc_updates = after.vnc.stats.updatesSent - before.vnc.stats.updatesSent;
    }
    return run;
  } finally {
    client?.close();
    await vm.stop();
  }
}

export async function runFramesBench(options: FramesBenchOptions): Promise<FramesBenchResult> {
  const n = (x: number) => Math.max(10, Math.round(x * options.scale));
  const memcpy: Record<string, number> = {};
  const runs: Record<string, FramesRun> = {};
  for (const r of RESOLUTIONS) {
    options.progress?.(`${r.name} memcpy reference`);
    memcpy[r.name] = memcpyFps(r.width, r.height, n(r.frames / 4));
    options.progress?.(`${r.name} null sink, 100% damage`);
    runs[`${r.name}_null_100`] = await framesRun(r.width, r.height, 100, n(r.frames), 'null');
    options.progress?.(`${r.name} null sink, 1% damage`);
    runs[`${r.name}_null_1`] = await framesRun(r.width, r.height, 1, n(r.frames * 4), 'null');
    for (const pct of [100, 1]) {
      options.progress?.(`${r.name} VNC ZRLE client, ${pct}% damage`);
      runs[`${r.name}_vnc_zrle_${pct}`] = await framesRun(r.width, r.height, pct, n(pct === 1 ? r.frames : r.frames / 4), 'vnc-zrle');
    }
  }
  return {
    suite: 'frames',
    machine: machineInfo(),
    memcpy_fps: memcpy,
    runs,
    ratio_fps_vs_memcpy_1080p: runs['1080p_null_100']!.fps / memcpy['1080p']!,
    ratio_fps_vs_memcpy_2160p: runs['2160p_null_100']!.fps / memcpy['2160p']!,
    ratio_fps_damage_1_vs_100: runs['1080p_null_1']!.fps / runs['1080p_null_100']!.fps,
    targets: {
      ratio_fps_vs_memcpy_1080p: '≥ 0.8',
      ratio_fps_damage_1_vs_100: '≫ 1 (cost follows damage)',
    },
  };
}

export function framesTables(r: FramesBenchResult): string {
  const fmt = (x: number | undefined, d = 1) => (x === undefined ? '' : x.toFixed(d));
  const rows = Object.entries(r.runs).map(([name, x]) => [
    name, `${x.width}x${x.height}`, `${x.damage_percent}%`, x.sink, fmt(x.fps), fmt(x.presents_per_s), String(x.coalesced),
    x.vnc_bytes_per_frame === undefined ? '' : Math.round(x.vnc_bytes_per_frame).toString(),
  ]);
  const refs = Object.entries(r.memcpy_fps).map(([name, fps]) => [`${name}_memcpy`, name, '100%', 'reference', fmt(fps), '', '', '']);
  const { ratio_fps_vs_memcpy_1080p, ratio_fps_vs_memcpy_2160p, ratio_fps_damage_1_vs_100 } = r;
  return `${markdownTable(['run', 'mode', 'damage', 'sink', 'fps (kept)', 'presents/s', 'coalesced', 'VNC B/frame'], [...refs, ...rows])}\n\n${ratioTable(
    { ratio_fps_vs_memcpy_1080p, ratio_fps_vs_memcpy_2160p, ratio_fps_damage_1_vs_100 },
    r.targets,
  )}`;
}
