; Stage 1: the MBR. Loads stage 2 from the sectors right after it with BIOS
; int 13h extended reads and jumps to it with the boot drive in dl.
; tools/mkimage.py writes the disk layout table at LAYOUT_OFF.
%include "common.inc"
        bits 16
        org STAGE1_ADDR

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, STACK_TOP
        sti
        jmp 0:.cs_ok            ; some BIOSes enter at 07C0:0000
.cs_ok:
        mov [boot_drive], dl
        call serial_init

        cmp dword [STAGE1_ADDR + LAYOUT_OFF + L_MAGIC], LAYOUT_MAGIC
        jne err_layout
        mov ax, [STAGE1_ADDR + LAYOUT_OFF + L_STAGE2_SECT]
        test ax, ax
        jz err_layout
        cmp ax, STAGE2_MAX_SECT
        ja err_layout
        mov [dap.count], ax

        mov ah, 0x41            ; are the extended reads there?
        mov bx, 0x55AA
        mov dl, [boot_drive]
        int 0x13
        jc err_noext
        cmp bx, 0xAA55
        jne err_noext

        mov si, dap
        mov ah, 0x42
        mov dl, [boot_drive]
        int 0x13
        jc err_disk
        mov dl, [boot_drive]
        jmp 0:STAGE2_ADDR

err_layout:
        mov si, msg_layout
        jmp fail
err_noext:
        mov si, msg_noext
        jmp fail
err_disk:
        mov si, msg_disk
fail:
        call print
.halt:  cli
        hlt
        jmp .halt

%include "print16.inc"

dap:    db 16, 0
.count: dw 0
        dw 0, STAGE2_ADDR >> 4  ; offset, segment
        dq 1                    ; stage 2 starts at LBA 1
boot_drive: db 0

msg_layout: db "hydros: boot failed: disk layout table missing (image not made by mkimage)", 13, 10, 0
msg_noext:  db "hydros: boot failed: BIOS has no int 13h extended disk reads", 13, 10, 0
msg_disk:   db "hydros: boot failed: disk read error loading stage 2", 13, 10, 0

        times LAYOUT_OFF - ($ - $$) db 0
        times 510 - ($ - $$) db 0   ; layout table and partition table are filled by mkimage
        dw 0xAA55
