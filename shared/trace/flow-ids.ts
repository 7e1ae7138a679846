// Flow-arrow ids shared by the threads that draw one arrow (a request, its handling, its answer),
// generated from abi/schema/flow-ids.ts: the engine's threads compute the same
// (native/src/abi/flow_ids.h, used by native/src/engine/threads/tracer.h). Below 2^53, so exact.
export { FLOW_INSET_US, callbackFlowId, mmioFlowId } from '../../abi/generated/flow-ids.js';
