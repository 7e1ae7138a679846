// `pvg-vmm run`'s outputs besides the summary: VNC servers (one port per display) and the browser
// viewer (noVNC over a WebSocket bridge to them). Flags are checked here; servers start once the VM runs.
import { readFileSync } from 'node:fs';

import type { Vm } from '../vmm/vm.js';
import { UsageError, integerFlag } from './usage.js';

export interface OutputOptions {
  vnc: { port: number; host: string; password?: string; viewOnly: boolean } | null;
  web: { port: number; host: string; viewOnly: boolean } | null;
}

export const OUTPUT_HELP = `  --vnc PORT          serve display k over VNC (RFB 3.8) on PORT + k; 0 picks free ports
  --vnc-host ADDR     address the VNC servers bind (default 127.0.0.1: this machine only)
  --vnc-password-file FILE
                      require VNC authentication with the password in FILE (first line; only
                      its first 8 bytes count); PVG_VNC_PASSWORD in the environment does the same;
                      an empty password is refused from either
  --web PORT          serve the displays to a browser (noVNC) on PORT; starts VNC on free
                      loopback ports if --vnc is not given
  --web-host ADDR     address the browser viewer binds (default 127.0.0.1)
  --view-only         VNC and browser clients see the displays; their keys and pointer reach no
                      guest (without it they go to the display's virtio-input devices, --input)`;

export const OUTPUT_FLAGS = {
  vnc: { type: 'string' },
  'vnc-host': { type: 'string' },
  'vnc-password-file': { type: 'string' },
  web: { type: 'string' },
  'web-host': { type: 'string' },
  'view-only': { type: 'boolean' },
} as const;

export function parseOutputFlags(
  values: {
    vnc?: string | undefined;
    'vnc-host'?: string | undefined;
    'vnc-password-file'?: string | undefined;
    web?: string | undefined;
    'web-host'?: string | undefined;
    'view-only'?: boolean | undefined;
  },
  displays: number,
  env: NodeJS.ProcessEnv = process.env,
): OutputOptions {
  const viewOnly = values['view-only'] ?? false;
  const vnc = parseVnc(values, displays, env);
  const web = parseWeb(values);
  if (viewOnly && !vnc && !web) throw new UsageError('--view-only needs --vnc PORT or --web PORT');
  return { vnc: vnc && { ...vnc, viewOnly }, web: web && { ...web, viewOnly } };
}

function parseWeb(values: { web?: string | undefined; 'web-host'?: string | undefined }): Omit<NonNullable<OutputOptions['web']>, 'viewOnly'> | null {
  if (values.web === undefined) {
    if (values['web-host'] !== undefined) throw new UsageError('--web-host needs --web PORT');
    return null;
  }
  const host = values['web-host'] ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--web-host needs an address');
  return { port: integerFlag('--web', values.web, 0, 65535), host };
}

function parseVnc(
  values: { vnc?: string | undefined; 'vnc-host'?: string | undefined; 'vnc-password-file'?: string | undefined },
  displays: number,
  env: NodeJS.ProcessEnv,
): Omit<NonNullable<OutputOptions['vnc']>, 'viewOnly'> | null {
  if (values.vnc === undefined) {
    if (values['vnc-host'] !== undefined || values['vnc-password-file'] !== undefined) {
      throw new UsageError('--vnc-host and --vnc-password-file need --vnc PORT');
    }
    return null;
  }
  const port = integerFlag('--vnc', values.vnc, 0, 65535);
  if (port !== 0 && port + displays - 1 > 65535)
    throw new UsageError(`--vnc ${port}: ${displays} displays need ports up to ${port + displays - 1}, past 65535`);
  const host = values['vnc-host'] ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--vnc-host needs an address');
  const password = vncPassword(values['vnc-password-file'], env);
  return { port, host, ...(password !== undefined ? { password } : {}) };
}

/** The file's first line, else PVG_VNC_PASSWORD, else none; an empty one is refused from either. */
function vncPassword(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (file === undefined) {
    if (env.PVG_VNC_PASSWORD === '')
      throw new UsageError('PVG_VNC_PASSWORD is set but empty: that would serve VNC without authentication; unset it to serve without a password');
    return env.PVG_VNC_PASSWORD;
  }
  let password: string;
  try {
    password = readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
  } catch (e) {
    throw new UsageError(`--vnc-password-file: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!password) throw new UsageError(`--vnc-password-file: ${file} has an empty first line`);
  return password;
}

/** Starts what was asked for; prints where each display can be seen. */
export async function startOutputs(vm: Vm, outputs: OutputOptions, log: (line: string) => void): Promise<void> {
  const displays = vm.config.devices.flatMap((d, i) => d.displays.map((_, j) => `device${i} display${j}`));
  if (outputs.vnc) {
    const ports = await vm.startVnc(outputs.vnc);
    const notes = [outputs.vnc.password ? 'password required' : '', outputs.vnc.viewOnly ? 'view only' : ''].filter(Boolean).join(', ');
    ports.forEach((p, k) => log(`VNC: ${displays[k]} on ${outputs.vnc!.host}:${p}${notes ? ` (${notes})` : ''}`));
  }
  if (outputs.web) {
    const web = await vm.startWeb(outputs.web);
    web.urls.forEach((url, k) => log(`browser: ${displays[k]} at ${url}`));
  }
}
