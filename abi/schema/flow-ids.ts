// Flow-arrow ids: the threads that draw one arrow (a request, its handling, its answer) each
// compute the same id from what the request carries. Below 2^53, so a double holds them exactly.
import type { Unit } from './types.js';

export const flowIds: Unit = {
  name: 'flow-ids',
  doc: 'Flow-arrow ids shared by the JS actors and the engine threads that draw one arrow.',
  ts: 'abi/generated/flow-ids.ts',
  cpp: { path: 'native/src/abi/flow_ids.h', namespace: 'pvg::trace' },
  constants: [
    {
      ts: 'FLOW_INSET_US',
      cpp: 'kFlowInsetUs',
      cppType: 'double',
      value: 0.01,
      doc: 'How far inside its span a flow event is put, so rounding never moves it out (µs).',
    },
  ],
  packedIds: [
    {
      name: 'mmioFlowId',
      doc: "A vCPU's MMIO read: vCPU → device actor → engine MMIO thread → back to the vCPU.",
      tagBit: 45,
      fields: [
        { name: 'vcpu', shift: 24, bits: 20 },
        { name: 'id', shift: 0, bits: 24 },
      ],
    },
    {
      name: 'callbackFlowId',
      doc: "An engine callback: engine thread → device actor → back to the engine thread. engineFirstRing is the engine's first trace ring.",
      fields: [
        { name: 'engineFirstRing', shift: 32 },
        { name: 'slot', shift: 24, bits: 8 },
        { name: 'id', shift: 0, bits: 24 },
      ],
    },
  ],
};
