// The `input` option: which displays get virtio-input devices (a keyboard and a tablet each,
// docs/virtio.md). Checked on the main thread before anything starts.
import { VIRTIO_MAX_DEVICES } from '../abi/generated/virtio.js';
import { VmConfigError } from './config-error.js';
import { integer, keysOf, onlyKnownKeys, optionsObject } from './config-values.js';
import type { InputTransport } from '../actors/input/messages.js';

/** A display that gets input devices: the apple-gfx device and its display. */
export interface InputBinding {
  device?: number;
  display?: number;
}

/** true: every display; a list: those displays; false or left out: no input devices. */
export type InputOptions = boolean | InputBinding[];

export type { InputTransport } from '../actors/input/messages.js';
export const INPUT_TRANSPORTS: readonly InputTransport[] = ['mmio', 'pci'];

/** How the built-in guest takes a virtio-pci input device's interrupts: MSI-X, or INTx with MSI-X left off. */
export type InputInterrupts = 'msix' | 'intx';
export const INPUT_INTERRUPTS: readonly InputInterrupts[] = ['msix', 'intx'];

/** Each bound display gets a keyboard and a tablet. */
export const INPUT_DEVICES_PER_DISPLAY = 2;

const BINDING_KEYS = keysOf<InputBinding>({ device: true, display: true });

export function checkInput(value: unknown, displays: readonly number[]): { device: number; display: number }[] {
  if (value === undefined || value === false) return [];
  const all = displays.flatMap((count, device) => Array.from({ length: count }, (_, display) => ({ device, display })));
  const bindings =
    value === true
      ? all
      : Array.isArray(value)
        ? value.map((b, i) => {
            const field = `input[${i}]`;
            const o = optionsObject<InputBinding>(b, field, {});
            onlyKnownKeys(o, BINDING_KEYS, field);
            const device = integer(o.device, `${field}.device`, 0, displays.length - 1, 0);
            return { device, display: integer(o.display, `${field}.display`, 0, displays[device]! - 1, 0) };
          })
        : null;
  if (bindings === null) throw new VmConfigError('input', `must be true, false or a list of { device, display }, got ${JSON.stringify(value)}`);
  const seen = new Set(bindings.map((b) => `${b.device}.${b.display}`));
  if (seen.size !== bindings.length) throw new VmConfigError('input', 'a display is listed twice');
  if (bindings.length * INPUT_DEVICES_PER_DISPLAY > VIRTIO_MAX_DEVICES) {
    throw new VmConfigError('input', `at most ${VIRTIO_MAX_DEVICES / INPUT_DEVICES_PER_DISPLAY} displays can have input devices, ${bindings.length} asked`);
  }
  return bindings;
}
