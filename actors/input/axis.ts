// A pixel coordinate as the tablet's absolute axis value (virtio-input ABS_X/ABS_Y, 0..ABS_MAX):
// the embedder's vm.input() and the VNC/web routing both scale with it.
import { VIRTIO_INPUT_ABS_MAX } from '../../abi/generated/virtio.js';

/** A pixel coordinate on an axis of `pixels` as the tablet's 0..ABS_MAX (last pixel → ABS_MAX); outside: clamped. */
export function scaleToAxis(v: number, pixels: number): number {
  const clamped = Math.min(Math.max(v, 0), pixels - 1);
  return pixels <= 1 ? 0 : Math.round((clamped * VIRTIO_INPUT_ABS_MAX) / (pixels - 1));
}
