// PNG snapshots, encoded in a piscina pool so nobody waits for zlib on their own thread.
import { writeFile } from 'node:fs/promises';

import { Piscina } from 'piscina';

import type { KeptFrame } from '../../actors/device/messages.js';
import { compiledModuleUrl } from '../../shared/package-root.js';

export class SnapshotWriter {
  private readonly pool: Piscina;

  constructor(threads = 1) {
    this.pool = new Piscina({ filename: compiledModuleUrl('outputs/png/png-task').href, minThreads: 0, maxThreads: threads, idleTimeout: 1000 });
  }

  /** The frame as a PNG file's bytes (cursor composited, opaque). */
  encode(frame: KeptFrame): Promise<Uint8Array> {
    return this.pool.run(frame) as Promise<Uint8Array>;
  }

  async write(file: string, frame: KeptFrame): Promise<void> {
    await writeFile(file, await this.encode(frame));
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
