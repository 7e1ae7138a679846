// A guest changing modes in a loop must not make the host allocate at that rate (hardening
// finding 3). 500 mode changes with each kind of sink attached — a VNC server with no client,
// with a client that reads, with one that stopped reading, and the browser viewer with a browser
// reading through its WebSocket bridge — make at most 3 frame stores for the display, and a client
// afterwards sees the guest's last frame exactly.
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketStream } from 'ws';

import { Encoding } from '../../../outputs/vnc/rfb.js';
import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import { Vm } from '../../../vmm/vm.js';
import { openSocket as openWebSocket } from '../../outputs/web/helpers.js';
import { openSocket, RfbTestClient } from '../../support/vnc-client/rfb-client.js';

const MODES = ['320x200@60', '256x160@60'];
/** The modestorm workload sets a new mode every 3 frames. */
const CHANGES = 500;
/**
 * The one the compositor writes, the one a sink may still read (until its worker handled the
 * resize) and a spare: FRAME_STORES_PER_DISPLAY. Before the fix these runs made 200–450.
 */
const BOUND = 3;

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

type Client = RfbTestClient<import('node:stream').Duplex>;

/** A client through the VNC port, or through the browser viewer's bridge. */
async function connect(target: { vnc: number } | { web: number }): Promise<Client> {
  let client: Client;
  if ('vnc' in target) {
    client = await RfbTestClient.connect(target.vnc);
  } else {
    const ws = await openWebSocket(`ws://127.0.0.1:${target.web}/websockify/0`, { protocols: ['binary'] });
    client = RfbTestClient.over(createWebSocketStream(ws));
    await client.handshake();
  }
  cleanup.push(() => client.close());
  return client;
}

/** Reads updates and asks for the next, until stopped; every rectangle is checked against the size it knows. */
function keepReading(client: Client): { stop: () => Promise<void> } {
  let done = false;
  client.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
  client.request(false);
  const loop = (async () => {
    while (!done) {
      await client.nextUpdate();
      client.request(true);
    }
  })();
  return {
    stop: async () => {
      done = true;
      client.close();
      await loop.catch(() => undefined);
    },
  };
}

const cases = ['a VNC server, no client', 'a VNC client that reads', 'a VNC client that stopped reading', 'the browser viewer, a browser that reads'] as const;

describe('a mode storm with sinks attached', () => {
  it.each(cases)('%s: at most 3 frame stores over 500 mode changes, and a client then sees the last frame', async (sink) => {
    const vm = await Vm.create({ ramMiB: 32, devices: [{ displayModes: MODES }] });
    cleanup.push(() => vm.stop());
    const target = sink.startsWith('the browser') ? { web: (await vm.startWeb({ port: 0 })).port } : { vnc: (await vm.startVnc({ port: 0 }))[0]! };

    let reading: { client: Client; stop: () => Promise<void> } | null = null;
    if (sink.endsWith('that reads')) {
      const client = await connect(target);
      reading = { client, ...keepReading(client) };
    } else if (sink.endsWith('stopped reading')) {
      const stalled = await openSocket((target as { vnc: number }).vnc);
      cleanup.push(() => stalled.destroy());
      stalled.pause();
      stalled.write(Buffer.from('RFB 003.008\n'));
    }

    await vm.runWorkload({ name: 'modestorm', frames: CHANGES * 3, seed: 3 });
    await vm.whenGuestsDone();
    await vm.settle();
    const stats = (await vm.stats()).compositor.displays[0]!;
    expect(stats.generation).toBeGreaterThanOrEqual(CHANGES);
    expect(stats.frameStores).toBeLessThanOrEqual(BOUND);

    // The guest's last frame reaches a client: the one that kept reading catches up with it;
    // otherwise a client connecting now gets it whole.
    const frame = (await vm.frame())!;
    const viewer = reading?.client ?? (await connect(target));
    if (!reading) {
      viewer.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
      viewer.request(false);
      await viewer.nextUpdate();
    }
    const want = new PixelConverter(SERVER_PIXEL_FORMAT).values(frame.pixels);
    const caughtUp = () => viewer.decoder.width === frame.width && viewer.decoder.height === frame.height && viewer.decoder.fb.every((v, i) => v === want[i]);
    const deadline = Date.now() + 10_000;
    while (!caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(caughtUp()).toBe(true);
    await reading?.stop();
  });
});
