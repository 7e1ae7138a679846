// Byte layout of a trace-ring set. Mirrors native/src/core/trace_layout.h (docs/shared-memory.md).
export const TRACE_MAGIC = 0x54524143;
export const TRACE_SET_HEADER_BYTES = 64;
export const TRACE_RING_HEADER_BYTES = 64;
export const TRACE_EVENT_BYTES = 48;
export const enum TraceSetWord {
  Magic = 0,
  RingCount = 1,
  EventsPerRing = 2,
  /** Non-zero: every writer drops its events (Vm.stopTrace); zero (as created): they record. */
  Paused = 3,
}
export const enum TraceRingWord {
  Written = 0,
  ThreadId = 1,
  DroppedOnRead = 2,
}
/** Offsets inside one event, in bytes. */
export const enum TraceEventByte {
  Timestamp = 0,
  Duration = 8,
  Arg0 = 16,
  Arg1 = 24,
  Arg2 = 32,
  Sequence = 40,
  EventId = 44,
  Phase = 46,
}
export const enum TracePhase {
  Begin = 1,
  End = 2,
  Complete = 3,
  Instant = 4,
  Counter = 5,
  FlowStart = 6,
  FlowEnd = 7,
  FlowStep = 8,
}
export function traceRingBytes(eventsPerRing: number): number {
  return TRACE_RING_HEADER_BYTES + eventsPerRing * TRACE_EVENT_BYTES;
}
export function traceSetBytes(rings: number, eventsPerRing: number): number {
  return TRACE_SET_HEADER_BYTES + rings * traceRingBytes(eventsPerRing);
}
