// Loads pvg_native_testing, the test and benchmark harness addon (native/testing/): native
// producers, echo server and requester, the renderer and KVM references, the C++ mailbox paths
// from JavaScript. The production addon (shared/native/addon.ts) has none of these. A source
// checkout builds it next to pvg_native (npm run build:native); an installed package has no
// native/testing, so the benchmarks that need it (engine, frames, mailbox, kvm) run from a
// checkout only. Loaded on first use, so the others run anywhere.
import { createRequire } from 'node:module';
import path from 'node:path';

import { packageRoot } from '../shared/package-root.js';
import type { MailboxEnqueueResult } from '../abi/generated/binding-strings.js';
import type { NativeHandle } from '../shared/native/types.js';

export interface ProducerOptions {
  threads: number;
  perThread: number;
  kind: number;
  producerIdBase: number;
  seed: number;
  maxJitterUs: number;
  trace?: { ring: Int32Array; firstRing: number };
}

export type RenderKind = 'fill' | 'blit' | 'blend' | 'memcpy';

/** The C heap as glibc's malloc sees it (mallinfo2, every arena); bytes. */
export interface NativeHeapStats {
  /** In use: chunks handed out from the arenas plus mmapped chunks (uordblks + hblkhd). */
  allocatedBytes: number;
  /** Large allocations served with mmap (hblkhd). */
  mmappedBytes: number;
  /** What the arenas hold from the system, in use or free (arena). */
  arenaBytes: number;
  /** Free chunks inside the arenas (fordblks). */
  freeBytes: number;
}

export interface TestingAddon {
  /** Times the renderer (or a plain memcpy) on one frame, for the engine and frames benchmarks. */
  benchRender(kind: RenderKind, width: number, height: number, iterations: number): { ns: number; bytes: number };
  /**
   * `bench vulkan`: the vulkan backend's store (fill, blit, blend, readback), the soft store's
   * same operations (soft_*), and plain Vulkan copies on the same device (copy_device,
   * copy_to_host), bytes per second each. opts.drawOnly: fill, blit and blend on both stores
   * only (`bench engine --engine vulkan`). Throws with the refusal where Vulkan cannot run.
   */
  benchVulkan(
    width: number,
    height: number,
    iterations: number,
    opts?: { drawOnly?: boolean },
  ): { device: { name: string; type: string; readbackMemory?: string; uploadMemory?: string }; rates: Record<string, number> };
  /**
   * `bench kvm`'s reference: the bare KVM exit round trip, µs per exit (a tiny guest reads a
   * do-nothing MMIO address in a loop, C++ answers each read at once). Blocks while it runs;
   * throws with the reason where KVM cannot be used.
   */
  kvmRawExitBench(iterations: number, opts?: { warmup?: number }): Float64Array;
  /**
   * Interrupt delivery (the vcpu-irq.ts protocol, from a native thread) → the tiny guest's
   * handler exit reaching the host, µs per delivery, the vCPU halted between deliveries (gaps
   * uniform in [minGapUs, maxGapUs], default 50–500). `parked`/`kicked`: timed deliveries that
   * found the vCPU parked in its futex / inside KVM_RUN. Blocks while it runs.
   */
  kvmInjectBench(
    iterations: number,
    opts?: { warmup?: number; minGapUs?: number; maxGapUs?: number; seed?: number },
  ): Float64Array & { parked: number; kicked: number };
  startProducers(mailbox: Int32Array, opts: ProducerOptions): NativeHandle;
  producersDone(handle: NativeHandle): boolean;
  joinProducers(handle: NativeHandle): { enqueued: number; errors: number };
  startEchoServer(mailbox: Int32Array, replies: Int32Array, opts: { spinBudget: number }): NativeHandle;
  stopEchoServer(handle: NativeHandle): { handled: number; ignored: number };
  nativeRequester(mailbox: Int32Array, replies: Int32Array, opts: { slot: number; iterations: number; spinBudget: number; kind: number }): NativeHandle;
  joinRequester(handle: NativeHandle): { latenciesNs: Float64Array; errors: number };
  requesterDone(handle: NativeHandle): boolean;
  /** The C++ producer path, from JS (for cross-checks). */
  mailboxEnqueue(mailbox: Int32Array, kind: number, args: ArrayLike<number>, timeoutMs?: number): MailboxEnqueueResult;
  /** The C++ consumer path; only the mailbox's single consumer may call it. */
  mailboxTryDequeue(mailbox: Int32Array): { kind: number; args: Uint32Array } | null;
  mailboxClose(mailbox: Int32Array, reason: number): void;
  /**
   * The C heap (glibc mallinfo2); null where the C library has no mallinfo2 (or malloc is not
   * glibc's, e.g. under ASan). trim: first return every arena's free memory to the system
   * (malloc_trim(0)). For the soak's samples.
   */
  heapStats(trim?: boolean): NativeHeapStats | null;
}

const require = createRequire(import.meta.url);
let loaded: TestingAddon | null = null;

/** The testing addon of the same build as the production one (PVG_NATIVE_BUILD picks a sanitizer build). */
export function nativeTesting(): TestingAddon {
  if (loaded) return loaded;
  const file = path.join(packageRoot, process.env.PVG_NATIVE_BUILD ?? 'build', 'Release', 'pvg_native_testing.node');
  try {
    loaded = require(file) as TestingAddon;
  } catch (err) {
    throw new Error(
      `pvg-vmm: cannot load the testing addon ${file}: it is built from native/testing by "npm run build:native" in a source checkout (an installed package has none): ${(err as Error).message}`,
    );
  }
  return loaded;
}
