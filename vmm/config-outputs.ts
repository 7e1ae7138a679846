// The outputs part of the configuration (VNC and the browser viewer), checked field by field.
import { VmConfigError } from './config-error.js';
import { integer, keysOf, onlyKnownKeys, optionsObject } from './config-values.js';

export interface OutputOptions {
  vnc?: VncOutput;
  web?: WebOutput;
}

export interface VncOutput {
  port: number;
  host?: string;
  password?: string;
  /** Clients see the displays; their keys and pointer reach no guest (default false). */
  viewOnly?: boolean;
}

export interface WebOutput {
  port: number;
  host?: string;
  /** The same for the browser viewer: it is a VNC client, so the VNC servers it uses must be view-only too. */
  viewOnly?: boolean;
}

const OUTPUT_KEYS = keysOf<OutputOptions>({ vnc: true, web: true });
const VNC_KEYS = keysOf<VncOutput>({ port: true, host: true, password: true, viewOnly: true });
const WEB_KEYS = keysOf<WebOutput>({ port: true, host: true, viewOnly: true });

function viewOnly(v: unknown, field: string): { viewOnly?: boolean } {
  if (v !== undefined && typeof v !== 'boolean') throw new VmConfigError(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v === undefined ? {} : { viewOnly: v };
}

function host(h: unknown, field: string): { host?: string } {
  if (h !== undefined && (typeof h !== 'string' || h.trim() === '')) throw new VmConfigError(field, `must be an address, got ${JSON.stringify(h)}`);
  return h === undefined ? {} : { host: h };
}

/** VNC options (outputs.vnc, or vm.startVnc's as `vnc`): display k is served on port + k. */
export function checkVnc(value: unknown, field: string, displays: number): VncOutput {
  const vnc = optionsObject<VncOutput>(value, field, { port: 0 });
  onlyKnownKeys(vnc, VNC_KEYS, field);
  const port = integer(vnc.port, `${field}.port`, 0, 65535, 0);
  if (port !== 0 && port + displays - 1 > 65535) {
    throw new VmConfigError(`${field}.port`, `${displays} displays need ports ${port} to ${port + displays - 1}, past 65535`);
  }
  const p = vnc.password;
  if (p !== undefined && typeof p !== 'string') throw new VmConfigError(`${field}.password`, 'must be a string');
  // An empty one would turn authentication off without a word: leaving it out says so on purpose.
  if (p === '') throw new VmConfigError(`${field}.password`, 'is empty, which would serve VNC without authentication; leave it out to do that');
  return { port, ...host(vnc.host, `${field}.host`), ...(p !== undefined ? { password: p } : {}), ...viewOnly(vnc.viewOnly, `${field}.viewOnly`) };
}

/** Browser viewer options (outputs.web, or vm.startWeb's as `web`). */
export function checkWeb(value: unknown, field: string): WebOutput {
  const web = optionsObject<WebOutput>(value, field, { port: 0 });
  onlyKnownKeys(web, WEB_KEYS, field);
  return { port: integer(web.port, `${field}.port`, 0, 65535, 0), ...host(web.host, `${field}.host`), ...viewOnly(web.viewOnly, `${field}.viewOnly`) };
}

/** `displays`: how many the VM has in all (VNC serves each on its own port). */
export function checkOutputs(value: unknown, displays: number): OutputOptions {
  const outputs = optionsObject<OutputOptions>(value, 'outputs', {});
  onlyKnownKeys(outputs, OUTPUT_KEYS, 'outputs');
  return {
    ...(outputs.vnc !== undefined ? { vnc: checkVnc(outputs.vnc, 'outputs.vnc', displays) } : {}),
    ...(outputs.web !== undefined ? { web: checkWeb(outputs.web, 'outputs.web') } : {}),
  };
}
