// One 16-byte stub per vector (0..255), so the handler knows which vector it got: the stub
// pushes a zero error code where the CPU pushes none, then the vector, and joins isr_common,
// which saves the caller-saved registers and calls pvg_isr(frame). The C side is built with
// -mgeneral-regs-only, so no SSE register needs saving. idt.c computes stub v's address as
// pvg_isr_stubs + 16 * v and checks the block is exactly 256 * 16 bytes.
	.text
	.p2align 4
	.globl pvg_isr_stubs
pvg_isr_stubs:
	.set .Lvec, 0
	.rept 256
	.p2align 4
	// The CPU pushes an error code for #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX.
	.if (.Lvec == 8) || ((.Lvec >= 10) && (.Lvec <= 14)) || (.Lvec == 17) || (.Lvec == 21) || (.Lvec == 29) || (.Lvec == 30)
	.else
	pushq $0
	.endif
	pushq $.Lvec
	jmp isr_common
	.set .Lvec, .Lvec + 1
	.endr
	.p2align 4
	.globl pvg_isr_stubs_end
pvg_isr_stubs_end:

// Stack on entry: vector, error, RIP, CS, RFLAGS, RSP, SS (7 quadwords). The CPU aligned RSP to
// 16 before its 5 pushes; 7 + 9 saved registers = 128 bytes keeps it 16-aligned for the call.
isr_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq %rsp, %rdi
	cld
	call pvg_isr
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp // vector and error code
	iretq

	.section .note.GNU-stack, "", @progbits
