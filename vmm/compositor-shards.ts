// The VM's compositor shards as the main thread sees them: one facade over the K compositor
// actors (docs/scaling.md, "Compositor shards"), routing each call by display. Shard s owns a
// contiguous run of whole devices (config-compositor.ts shardDevices), so the shards' displays in
// shard order are the VM's displays in configuration order: stats, snapshots and VNC ports
// concatenate and slice in that order. No shard knows of another; nothing here is shared state
// between them, only calls fanned out and answers put together.
import { MessageChannel, type MessagePort } from 'node:worker_threads';

import * as Comlink from 'comlink';

import type { CompositorControl, CompositorEvent, CompositorStats, VncOptions } from '../actors/compositor/messages.js';
import type { KeptFrame } from '../actors/device/messages.js';
import type { ActorHandle } from '../actors/runtime/supervisor.js';
import type { MailboxStats } from '../shared/mailbox/mailbox.js';
import { shardDevices } from './config-compositor.js';

/** One shard's own figures (its displays are in CompositorStats.displays). */
export interface CompositorShardStats {
  name: string;
  /** Its devices: [first, end). */
  devices: { first: number; end: number };
  mailbox: MailboxStats;
  unknownRecords: number;
}

/** Every display of every shard, in configuration order; `mailbox` and `unknownRecords` summed over the shards. */
export interface VmCompositorStats extends CompositorStats {
  shards: CompositorShardStats[];
}

export class CompositorShards {
  private readonly owner: number[] = [];
  /** Displays per shard, in shard order. */
  private readonly displayCounts: number[];
  private readonly ranges: { first: number; end: number }[];

  constructor(
    private readonly shards: readonly ActorHandle<CompositorControl>[],
    displaysPerDevice: readonly number[],
  ) {
    this.ranges = shardDevices(displaysPerDevice.length, shards.length);
    this.displayCounts = this.ranges.map((r, s) => {
      let n = 0;
      for (let d = r.first; d < r.end; d++) {
        this.owner[d] = s;
        n += displaysPerDevice[d]!;
      }
      return n;
    });
  }

  get count(): number {
    return this.shards.length;
  }

  async stats(): Promise<VmCompositorStats> {
    const all = await Promise.all(this.shards.map((s) => s.control.stats()));
    return {
      displays: all.flatMap((s) => s.displays),
      mailbox: sumMailboxes(all.map((s) => s.mailbox)),
      unknownRecords: all.reduce((n, s) => n + s.unknownRecords, 0),
      shards: all.map((s, k) => ({ name: this.shards[k]!.name, devices: this.ranges[k]!, mailbox: s.mailbox, unknownRecords: s.unknownRecords })),
    };
  }

  /** The shard that owns `device` answers; null for a device no shard has (the Vm checks first). */
  async frame(device: number, display: number): Promise<KeptFrame | null> {
    const s = this.owner[device];
    return s === undefined ? null : this.shards[s]!.control.frame(device, display);
  }

  /**
   * Display k of the VM on port + k, as one compositor had it: each shard is given the port of
   * its first display. A shard that fails stops the servers the others started.
   */
  async startVnc(options: VncOptions): Promise<number[]> {
    const started: number[] = [];
    const ports: number[] = [];
    let first = 0;
    try {
      for (const [s, shard] of this.shards.entries()) {
        ports.push(...(await shard.control.startVnc({ ...options, port: options.port === 0 ? 0 : options.port + first })));
        started.push(s);
        first += this.displayCounts[s]!;
      }
    } catch (e) {
      await Promise.allSettled(started.map((s) => this.shards[s]!.control.stopVnc()));
      throw e;
    }
    return ports;
  }

  async stopVnc(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.control.stopVnc()));
  }

  /** Every shard's look; a shard's busy parts named after it when there are several. */
  async activity(): Promise<{ idle: boolean; busy: string[]; counters: number[] }> {
    const looks = await Promise.all(this.shards.map((s) => s.control.activity()));
    const named = this.shards.length > 1;
    const busy = looks.flatMap((l, k) => (named ? l.busy.map((b) => `${this.shards[k]!.name} ${b}`) : l.busy));
    return { idle: busy.length === 0, busy, counters: looks.flatMap((l) => l.counters) };
  }

  async reset(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.control.reset()));
  }

  /** Every display's state, in configuration order (a snapshot keeps displays, not shards). */
  async saveDisplays(): Promise<Uint8Array[]> {
    return (await Promise.all(this.shards.map((s) => s.control.saveDisplays()))).flat();
  }

  /** `states` in configuration order, whatever number of shards saved them: each shard takes its run. */
  async loadDisplays(states: Uint8Array[]): Promise<void> {
    const total = this.displayCounts.reduce((a, b) => a + b, 0);
    if (states.length !== total) throw new Error(`${states.length} display states for ${total} displays`);
    let at = 0;
    await Promise.all(this.shards.map((s, k) => s.control.loadDisplays(states.slice(at, (at += this.displayCounts[k]!)))));
  }

  /** Every shard's mode and frame events go to `listener`; returns the ports, to close at the VM's stop. */
  async subscribe(listener: (e: CompositorEvent) => void): Promise<MessagePort[]> {
    return Promise.all(
      this.shards.map(async (s) => {
        const { port1, port2 } = new MessageChannel();
        port1.on('message', listener);
        port1.unref(); // an idle event port must not keep the process alive
        await s.control.subscribe(Comlink.transfer(port2, [port2]));
        return port1;
      }),
    );
  }
}

function sumMailboxes(all: MailboxStats[]): MailboxStats {
  const sum = (f: (m: MailboxStats) => number) => all.reduce((n, m) => n + f(m), 0);
  return {
    capacity: sum((m) => m.capacity),
    depth: sum((m) => m.depth),
    enqueued: sum((m) => m.enqueued),
    dequeued: sum((m) => m.dequeued),
    producerWaits: sum((m) => m.producerWaits),
    producersWaiting: sum((m) => m.producersWaiting),
    consumerParks: sum((m) => m.consumerParks),
    closed: all.some((m) => m.closed),
  };
}
