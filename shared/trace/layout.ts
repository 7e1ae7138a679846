// A trace-ring set's sizes. Its byte and word offsets are generated from abi/schema
// (abi/generated/trace-layout.ts), shared with native/src/abi/trace_layout.h (docs/shared-memory.md).
import { TRACE_EVENT_BYTES, TRACE_RING_HEADER_BYTES, TRACE_SET_HEADER_BYTES } from '../../abi/generated/trace-layout.js';

export * from '../../abi/generated/trace-layout.js';

export function traceRingBytes(eventsPerRing: number): number {
  return TRACE_RING_HEADER_BYTES + eventsPerRing * TRACE_EVENT_BYTES;
}
export function traceSetBytes(rings: number, eventsPerRing: number): number {
  return TRACE_SET_HEADER_BYTES + rings * traceRingBytes(eventsPerRing);
}
