// Word offsets of a vCPU's interrupt state (one cache line), generated from abi/schema
// (abi/generated/vcpu-irq-layout.ts); a KVM vCPU's native code uses the same words
// (native/src/abi/vcpu_irq_layout.h, native/src/kvm/kvm_vcpu.cpp). docs/interrupts.md describes
// each word and the halt/deliver protocol.
import { VCPU_IRQ_WORDS } from '../../abi/generated/vcpu-irq-layout.js';

export * from '../../abi/generated/vcpu-irq-layout.js';

export const VCPU_IRQ_BYTES = VCPU_IRQ_WORDS * 4;
