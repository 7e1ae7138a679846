// The outputs part of the configuration (VNC and the browser viewer), checked field by field.
import { VmConfigError } from './config-error.js';
import { integer } from './config-values.js';

export interface OutputOptions {
  vnc?: { port: number; host?: string; password?: string };
  web?: { port: number; host?: string };
}

function host(h: unknown, field: string): { host?: string } {
  if (h !== undefined && (typeof h !== 'string' || h.trim() === '')) throw new VmConfigError(field, `must be an address, got ${JSON.stringify(h)}`);
  return h === undefined ? {} : { host: h };
}

export function checkOutputs(value: OutputOptions | undefined): OutputOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new VmConfigError('outputs', `must be an object, got ${JSON.stringify(value)}`);
  const out: OutputOptions = {};
  if (value.vnc !== undefined) {
    const p = value.vnc.password;
    if (p !== undefined && typeof p !== 'string') throw new VmConfigError('outputs.vnc.password', 'must be a string');
    out.vnc = { port: integer(value.vnc.port, 'outputs.vnc.port', 0, 65535, 0), ...host(value.vnc.host, 'outputs.vnc.host'), ...(p ? { password: p } : {}) };
  }
  if (value.web !== undefined) out.web = { port: integer(value.web.port, 'outputs.web.port', 0, 65535, 0), ...host(value.web.host, 'outputs.web.host') };
  return out;
}
