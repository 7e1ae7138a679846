// Word offsets of a vCPU's interrupt state (one cache line). docs/interrupts.md describes each
// word and the halt/deliver protocol; a KVM vCPU's native code uses the same words
// (native/src/core/vcpu_irq_layout.h, native/src/kvm/kvm_vcpu.cpp).
export const VCPU_IRQ_MAGIC = 0x56495251; // "VIRQ"
export const enum VcpuIrqWord {
  /** Bumped on every delivery and stop request: the futex word a halted vCPU sleeps on. */
  Sequence = 0,
  /** 1 while the vCPU sleeps (or is about to); deliverers wake it only then. */
  Parked = 1,
  /** 1 when someone asked the vCPU to leave its halt loop. */
  Stop = 2,
  Magic = 3,
  /** Futex wakes issued by deliverers (count). */
  Wakes = 4,
  /** Times the vCPU went to sleep (count). */
  Parks = 5,
  /** A hardware vCPU's kernel thread id while it is inside KVM_RUN, else 0: deliverers kick it. */
  KickThread = 6,
  /** 1 while the VM asks the vCPU to stop at its next step boundary (vm.pause(), docs/lifecycle.md). */
  Pause = 7,
  /** Pending vector bitmap: vector v is bit (v & 31) of word 8 + (v >> 5). */
  Pending = 8,
}
export const VCPU_IRQ_PENDING_WORDS = 8;
export const VCPU_IRQ_WORDS = 16;
export const VCPU_IRQ_BYTES = VCPU_IRQ_WORDS * 4;
export const IRQ_VECTORS = 256;
