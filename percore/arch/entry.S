/* Kernel entry points: the boot core's _start (from the bootloader), the
 * application cores' ap_start64 (from the trampoline), and the interrupt
 * stubs that build a struct trap_frame (percore/kernel.h) for trap(). */

    .section .text.entry, "ax"
    .globl _start
_start:                         /* rdi = &boot_info (physical) */
    leaq boot_stack_top(%rip), %rsp
    xorl %ebp, %ebp             /* ends every stack trace */
    call kmain
1:  cli
    hlt
    jmp 1b

    .text
    .globl ap_start64
ap_start64:                     /* rdi = core id, rsp = that core's stack */
    xorl %ebp, %ebp
    call ap_main
1:  cli
    hlt
    jmp 1b

/* The general registers, in struct trap_frame's order (kernel.h). */
.macro SAVE_REGS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm
.macro RESTORE_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

/* One stub per vector: push a zero error code where the CPU pushes none,
 * then the vector number, and join the common path. */
.macro ISR_NOERR vec
    .align 16
isr\vec:
    pushq $0
    pushq $\vec
    jmp isr_common
.endm
.macro ISR_ERR vec
    .align 16
isr\vec:
    pushq $\vec
    jmp isr_common
.endm
/* NMI, double fault and machine check: isr_paranoid. */
.macro ISR_PARANOID vec, err
    .align 16
isr\vec:
    .if \err == 0
    pushq $0
    .endif
    pushq $\vec
    jmp isr_paranoid
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_PARANOID 2, 0
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_PARANOID 8, 1
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_PARANOID 18, 0
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
ISR_NOERR 32
ISR_NOERR 33
ISR_NOERR 255
.irp v, 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63  /* ISA lines 0-15 (VEC_IRQ_BASE) */
ISR_NOERR \v
.endr

/* NMI, #DF and #MC come even in the few instructions where GS is not yet
 * (or no longer) the kernel's: syscall_entry before its swapgs, isr_common
 * and trap_return around theirs. So CS says nothing about GS here; the GS
 * base itself does (the kernel's is in the upper half). rbx, callee-saved,
 * remembers whether to swap back. */
isr_paranoid:
    SAVE_REGS
    movl $0xC0000101, %ecx      /* MSR_GS_BASE */
    rdmsr
    xorl %ebx, %ebx
    testl %edx, %edx
    js 1f
    swapgs
    incl %ebx
1:  cld
    movq %rsp, %rdi
    call trap
    testl %ebx, %ebx
    jz 2f
    swapgs
2:  RESTORE_REGS
    addq $16, %rsp              /* vector and error code */
    iretq

isr_common:
    testb $3, 24(%rsp)          /* from user mode? then GS is the user's */
    jz isr_save
    swapgs
isr_save:
    SAVE_REGS
    cld
    movq %rsp, %rdi
    call trap
    .globl trap_return
trap_return:                    /* rsp = a struct trap_frame; also where new threads start */
    RESTORE_REGS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector and error code */
    iretq

/* The syscall instruction: rcx = user rip, r11 = user rflags, interrupts
 * off (SFMASK). Builds the same trap_frame as an interrupt from user mode,
 * with vector VEC_SYSCALL, and leaves by the same iretq path, so every way
 * back to user mode restores the full context. */
    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:8            /* CORE_USER_RSP */
    movq %gs:16, %rsp           /* CORE_KSTACK_TOP */
    pushq $0x1B                 /* SEL_UDATA */
    pushq %gs:8
    pushq %r11
    pushq $0x23                 /* SEL_UCODE */
    pushq %rcx
    pushq $0
    pushq $0x100                /* VEC_SYSCALL */
    jmp isr_save

/* void switch_stacks(uint64_t *save_ksp, uint64_t next_ksp): the callee-saved
 * registers stay on the old stack; a new thread's stack is built to match. */
    .globl switch_stacks
switch_stacks:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .globl fpu_save
fpu_save:
    fxsave64 (%rdi)
    ret
    .globl fpu_restore
fpu_restore:
    fxrstor64 (%rdi)
    ret

/* The stub addresses, for idt_init: vectors 0-33, then 255, then 48-63. */
    .section .rodata
    .globl isr_table
isr_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,255
    .quad isr\v
    .endr
    .irp v, 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    .quad isr\v
    .endr

    .bss
    .align 16
    .space 16384
boot_stack_top:
