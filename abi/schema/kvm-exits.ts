// What ended a KVM_RUN, and the exit-info array the addon fills: the addon's kvmRun returns the
// kind, and kvmCreateVcpu takes the Float64Array whose slots it writes each exit's details into
// (native/src/addon/kvm_binding.cpp), which the KVM vCPU reads (actors/vcpu/kvm/kvm-guest.ts).
import type { Unit } from './types.js';

export const kvmExits: Unit = {
  name: 'kvm-exits',
  doc: "What ended a KVM_RUN (the addon's kvmRun returns it) and the slots of the exit-info array the addon fills.",
  ts: 'abi/generated/kvm-exits.ts',
  cpp: { path: 'native/src/abi/kvm_exits.h', namespace: 'pvg::kvm' },
  enums: [
    {
      ts: 'ExitKind',
      tsObject: true,
      cpp: { enum: 'ExitKind', prefix: '', type: 'uint32_t', scoped: true },
      doc: 'Why KVM_RUN returned.',
      members: [
        { name: 'MmioRead', value: 1 },
        { name: 'MmioWrite', value: 2 },
        { name: 'IoIn', value: 3 },
        { name: 'IoOut', value: 4 },
        { name: 'Halt', value: 5 },
        { name: 'InterruptWindow', value: 6 },
        { name: 'Interrupted', value: 7, doc: 'A kick or the slice timer: nothing for the caller to do but look at its control plane.' },
        { name: 'Shutdown', value: 8, doc: 'Triple fault (the guest reset itself).' },
        { name: 'FailEntry', value: 9 },
        { name: 'InternalError', value: 10 },
        { name: 'Other', value: 11 },
      ],
    },
    {
      ts: 'ExitInfo',
      tsObject: true,
      cpp: { enum: 'ExitInfo', prefix: 'ExitInfo', type: 'uint32_t' },
      doc: "Slots of the exit-info Float64Array (kvmCreateVcpu's), written at each exit.",
      count: { ts: 'EXIT_INFO_LENGTH', cpp: 'kExitInfoLength' },
      members: [
        { name: 'Kind', value: 0, doc: 'The ExitKind, as kvmRun returns it.' },
        { name: 'Address', value: 1, doc: 'MMIO guest-physical address, or the I/O port.' },
        { name: 'Size', value: 2, doc: 'Access size in bytes.' },
        { name: 'ValueLo', value: 3, doc: 'Data written (MmioWrite, IoOut): low 32 bits.' },
        { name: 'ValueHi', value: 4, doc: 'Data written: high 32 bits.' },
        { name: 'Count', value: 5, doc: 'I/O repetitions (string I/O).' },
        { name: 'Detail', value: 6, doc: 'Raw exit reason, hardware failure reason or internal-error suberror.' },
        { name: 'Injections', value: 7, doc: 'Interrupts injected into the guest so far.' },
      ],
    },
  ],
};
