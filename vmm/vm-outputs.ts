// A VM's outputs on the main thread's side: which VNC ports the compositor serves, and the browser
// viewer bridging to them. Once the VM stops, nothing new starts here: a viewer that finished
// binding after the stop closed the last one is closed again, so no server outlives its VM.
import type { VncOptions } from '../actors/compositor/messages.js';
import type { CompositorShards } from './compositor-shards.js';
import { WebViewer } from '../outputs/web/index.js';
import { checkVnc, checkWeb, type WebOutput } from './config-outputs.js';
import { VmConfigError } from './config-error.js';

export type WebOptions = WebOutput;

export class VmOutputs {
  private vnc: { ports: number[]; host: string; viewOnly: boolean } | null = null;
  private web: WebViewer | null = null;

  constructor(
    private readonly compositor: () => Pick<CompositorShards, 'startVnc' | 'stopVnc'>,
    /** Each display's label, in VNC port order. */
    private readonly labels: readonly string[],
    /** Why nothing may start now (a VmStoppedError once the VM is stopping or failed), else null. */
    private readonly refusal: () => Error | null,
  ) {}

  private ensureRunning(): void {
    const refused = this.refusal();
    if (refused) throw refused;
  }

  /** `options` are checked as outputs.vnc is, under the name `vnc`. */
  async startVnc(options: VncOptions): Promise<number[]> {
    const checked = checkVnc(options, 'vnc', this.labels.length);
    this.ensureRunning();
    const ports = await this.compositor().startVnc(checked);
    this.vnc = { ports, host: checked.host ?? '127.0.0.1', viewOnly: checked.viewOnly ?? false };
    return ports;
  }

  async stopVnc(): Promise<void> {
    this.ensureRunning();
    await this.web?.close();
    this.web = null;
    this.vnc = null;
    await this.compositor().stopVnc();
  }

  /** `options` are checked as outputs.web is, under the name `web`. */
  async startWeb(options: WebOptions): Promise<{ port: number; urls: string[] }> {
    const checked = checkWeb(options, 'web');
    this.ensureRunning();
    if (this.web) throw new Error(`the browser viewer is already serving on port ${this.web.port}`);
    // The viewer is a VNC client: a view-only viewer over servers that take input would not be one.
    if (this.vnc && checked.viewOnly && !this.vnc.viewOnly) {
      throw new VmConfigError('web.viewOnly', 'the browser viewer uses the VNC servers already running, which take input: start VNC with viewOnly too');
    }
    const vnc = this.vnc ?? { ports: await this.startVnc({ port: 0, viewOnly: checked.viewOnly ?? false }), host: '127.0.0.1' };
    // A server bound to every address is reached through loopback.
    const vncHost = vnc.host === '0.0.0.0' || vnc.host === '::' ? '127.0.0.1' : vnc.host;
    const web = await WebViewer.listen({
      port: checked.port,
      host: checked.host ?? '127.0.0.1',
      displays: vnc.ports.map((p, k) => ({ label: this.labels[k]!, vncPort: p, vncHost })),
    });
    const refused = this.refusal();
    if (refused) {
      await web.close(); // the VM began to stop while it bound: close() did not see it
      throw refused;
    }
    this.web = web;
    return { port: web.port, urls: this.labels.map((_, k) => web.url(k)) };
  }

  /** At the VM's stop: closes the viewer (the compositor closes VNC itself) and refuses new ones. */
  async close(): Promise<void> {
    const web = this.web;
    this.web = null;
    this.vnc = null;
    await web?.close();
  }
}
