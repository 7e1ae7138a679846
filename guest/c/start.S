// The entry point. The host enters here in 64-bit mode, ring 0, IF = 0, RSP at the top of the
// ring-0 stack (also the TSS's RSP0), RDI = GS base = the boot block. Ring 0 installs the IDT
// (kernel.c); then iretq drops to ring 3 with interrupts on, on the block's user stack, where
// the program runs. First in .text so the image starts with it.
	.section .text.start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	cld
	movq %rdi, %rbx          // callee-saved: the block survives kernel_init
	call kernel_init
	movq %rbx, %rdi
	pushq $0x1b              // SS: user data, RPL 3
	pushq 0x70(%rbx)         // RSP: boot block user_stack_top
	pushq $0x202             // RFLAGS: IF
	pushq $0x23              // CS: user code, RPL 3
	leaq user_entry(%rip), %rax
	pushq %rax
	iretq
	.size _start, . - _start

	.type user_entry, @function
user_entry:
	// MXCSR to its reset value (round to nearest, exceptions masked): the JS-exact doubles in the
	// workloads assume round-to-nearest, whatever the host left there.
	pushq $0x1f80
	ldmxcsr (%rsp)
	addq $8, %rsp
	xorl %ebp, %ebp
	call pvg_main            // RDI passes through: the boot block; pvg_main never returns
1:	pause
	jmp 1b
	.size user_entry, . - user_entry

	.section .note.GNU-stack, "", @progbits
