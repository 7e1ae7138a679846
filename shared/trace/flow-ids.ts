// Flow-arrow ids shared by the threads that draw one arrow (a request, its handling, its answer).
// The native side computes the same (native/src/engine/threads/tracer.h); below 2^53, so exact.

/** How far inside its span a flow event is put, so rounding never moves it out (µs). */
export const FLOW_INSET_US = 0.01;

/** A vCPU's MMIO read: vCPU → device actor → engine MMIO thread → back to the vCPU. */
export function mmioFlowId(vcpu: number, id: number): number {
  return 2 ** 45 + (vcpu & 0xfffff) * 2 ** 24 + ((id >>> 0) & 0xffffff);
}

/** An engine callback: engine thread → device actor → back to the engine thread. */
export function callbackFlowId(engineFirstRing: number, slot: number, id: number): number {
  return engineFirstRing * 2 ** 32 + (slot & 0xff) * 2 ** 24 + ((id >>> 0) & 0xffffff);
}
