; The application-core trampoline. smp.c copies it to TRAMPOLINE_PHYS (a page
; below 1 MiB whose number is the SIPI vector) and fills in the arguments.
; It goes from real mode straight to long mode with a page table that maps
; this page at its own address as well as the kernel, then jumps to the
; kernel's ap_start64 with the core's stack and id.
TRAMPOLINE_PHYS equ 0x7000
        bits 16
        org TRAMPOLINE_PHYS

        jmp short start
        align 8
args:                           ; struct trampoline_args in smp.c
.cr3:   dq 0                    ; below 4 GiB
.stack: dq 0
.entry: dq 0
.arg:   dq 0

start:
        cli
        xor ax, ax
        mov ds, ax
        lgdt [gdt_desc]
        mov eax, cr4
        or eax, 1 << 5          ; PAE
        mov cr4, eax
        mov eax, [args.cr3]
        mov cr3, eax
        mov ecx, 0xC0000080     ; EFER.LME
        rdmsr
        or eax, 1 << 8
        wrmsr
        mov eax, cr0
        or eax, 0x80000001      ; paging and protection together
        mov cr0, eax
        jmp 0x08:long_mode

        bits 64
long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov rsp, [args.stack]
        mov rdi, [args.arg]
        jmp [args.entry]

        align 8
gdt:    dq 0
        dq 0x00209A0000000000   ; 64-bit code
        dq 0x0000920000000000   ; data
gdt_desc:
        dw gdt_desc - gdt - 1
        dd gdt
