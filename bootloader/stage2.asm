; Stage 2: everything between the MBR and the kernel. In real mode it enables
; A20, checks for long mode, reads the E820 map, checks memory, and reads the
; kernel ELF file and the boot archive above 1 MiB through a low bounce buffer
; (unreal-mode copies). Then it places the kernel's PT_LOAD segments, enters
; long mode and jumps to the kernel entry with &boot_info in rdi.
; Every failure prints one clear line on COM1 and the screen, then halts.
%include "common.inc"
        bits 16
        org STAGE2_ADDR

        jmp start
        times S2_CMDLINE_OFF - ($ - $$) db 0
cmdline: times CMDLINE_MAX db 0         ; written by tools/mkimage.py

start:
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov [boot_drive], dl
        cld
        call enable_a20
        call check_long_mode
        call clear_boot_info
        call read_e820
        call check_memory
        call load_files
        call build_page_tables
        jmp enter_long_mode

; ---------------------------------------------------------------- failures
fail:   ; si = message
        call print
.halt:  cli
        hlt
        jmp .halt

; ---------------------------------------------------------------- A20
; BIOS first (int 15h 2401), then the "fast A20" port; verified by a wrap test.
enable_a20:
        call a20_on
        jnc .ok
        mov ax, 0x2401
        int 0x15
        call a20_on
        jnc .ok
        in al, 0x92
        or al, 2
        and al, 0xFE            ; never pulse the reset bit
        out 0x92, al
        call a20_on
        jnc .ok
        mov si, msg_a20
        jmp fail
.ok:    ret

; CF clear when 0000:0500 and FFFF:0510 (1 MiB above) are different bytes.
a20_on:
        push ds
        push es
        xor ax, ax
        mov ds, ax
        not ax
        mov es, ax
        mov bl, [0x500]
        mov byte [0x500], 0x00
        mov byte [es:0x510], 0xFF
        cmp byte [0x500], 0xFF
        mov [0x500], bl
        pop es
        pop ds
        clc
        jne .on
        stc
.on:    ret

; ---------------------------------------------------------------- CPU
check_long_mode:
        pushfd                  ; CPUID exists if EFLAGS.ID can be toggled
        pop eax
        mov ecx, eax
        xor eax, 1 << 21
        push eax
        popfd
        pushfd
        pop eax
        push ecx
        popfd
        xor eax, ecx
        jz .no
        mov eax, 0x80000000
        cpuid
        cmp eax, 0x80000001
        jb .no
        mov eax, 0x80000001
        cpuid
        test edx, 1 << 29
        jz .no
        ret
.no:    mov si, msg_no_lm
        jmp fail

; ---------------------------------------------------------------- E820
clear_boot_info:
        push es
        mov ax, BOOTINFO_SEG
        mov es, ax
        xor di, di
        xor al, al
        mov cx, BI_SIZE
        rep stosb
        pop es
        ret

read_e820:
        push es
        mov ax, BOOTINFO_SEG
        mov es, ax
        mov di, BI_E820
        xor ebx, ebx
        xor bp, bp              ; entries kept
.next:  mov dword [es:di + 20], 1   ; ACPI 3 attributes: "valid" unless the BIOS says otherwise
        mov eax, 0xE820
        mov ecx, E820_ENTRY_SIZE
        mov edx, 0x534D4150     ; "SMAP"
        int 0x15
        jc .end                 ; carry after the last entry is allowed
        cmp eax, 0x534D4150
        jne .end
        mov eax, [es:di + 8]
        or eax, [es:di + 12]
        jz .skip                ; zero length: drop
        inc bp
        add di, E820_ENTRY_SIZE
        cmp bp, E820_MAX
        jae .end
.skip:  test ebx, ebx
        jnz .next
.end:   mov [es:BI_E820_COUNT], bp
        pop es
        test bp, bp
        jz .none
        ret
.none:  mov si, msg_no_e820
        jmp fail

; ---------------------------------------------------------------- memory
; Sums usable RAM and checks that one usable range holds everything we load:
; [KERNEL_MIN_PHYS, KFILE_PHYS + kernel file + archive).
check_memory:
        push es
        mov ax, BOOTINFO_SEG
        mov es, ax
        ; the end of what we place in RAM
        mov eax, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_BYTES]
        add eax, 0xFFF
        and eax, ~0xFFF
        mov [archive_phys], eax
        add dword [archive_phys], KFILE_PHYS
        add eax, [STAGE1_ADDR + LAYOUT_OFF + L_ARCHIVE_BYTES]
        add eax, KFILE_PHYS
        mov [load_end], eax

        xor esi, esi            ; usable KiB
        mov cx, [es:BI_E820_COUNT]
        mov di, BI_E820
.each:  cmp dword [es:di + 16], 1
        jne .skip
        mov eax, [es:di + 8]    ; len in KiB, saturated at 4 TiB
        mov edx, [es:di + 12]
        shrd eax, edx, 10
        shr edx, 10
        jz .add
        mov eax, 0xFFFFFFFF
.add:   add esi, eax
        jnc .fits
        mov esi, 0xFFFFFFFF
.fits:  cmp dword [es:di + 4], 0 ; does it hold the load window?
        jne .skip
        cmp dword [es:di], KERNEL_MIN_PHYS
        ja .skip
        mov eax, [es:di]
        add eax, [es:di + 8]
        jc .window
        cmp dword [es:di + 12], 0
        jne .window
        cmp eax, [load_end]
        jb .skip
.window: mov byte [window_ok], 1
.skip:  add di, E820_ENTRY_SIZE
        loop .each
        pop es

        shr esi, 10             ; MiB
        cmp esi, MIN_MEM_MIB
        jb .small
        cmp byte [window_ok], 1
        jne .window_missing
        ret
.small: mov eax, esi
        mov si, msg_mem1
        call print
        call print_dec
        mov si, msg_mem2
        jmp fail
.window_missing:
        mov si, msg_window
        jmp fail

; print_dec: eax as unsigned decimal.
print_dec:
        pushad
        mov ebx, 10
        xor cx, cx
.div:   xor edx, edx
        div ebx
        push dx
        inc cx
        test eax, eax
        jnz .div
.out:   pop ax
        add al, '0'
        call putc
        loop .out
        popad
        ret

; ---------------------------------------------------------------- disk
load_files:
        mov si, msg_loading
        call print
        mov byte [check_elf], 1
        mov eax, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_LBA]
        mov ecx, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_BYTES]
        mov edi, KFILE_PHYS
        call read_high
        mov eax, [STAGE1_ADDR + LAYOUT_OFF + L_ARCHIVE_LBA]
        mov ecx, [STAGE1_ADDR + LAYOUT_OFF + L_ARCHIVE_BYTES]
        mov edi, [archive_phys]
        call read_high
        mov si, msg_done
        call print

        push es                 ; record it all in boot_info
        mov ax, BOOTINFO_SEG
        mov es, ax
        mov dword [es:BI_MAGIC], 0x52445948     ; "HYDROBOO"
        mov dword [es:BI_MAGIC + 4], 0x4F4F424F
        mov dword [es:BI_KFILE_PHYS], KFILE_PHYS
        mov eax, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_BYTES]
        mov [es:BI_KFILE_SIZE], eax
        mov eax, [archive_phys]
        mov [es:BI_ARCHIVE_PHYS], eax
        mov eax, [STAGE1_ADDR + LAYOUT_OFF + L_ARCHIVE_BYTES]
        mov [es:BI_ARCHIVE_SIZE], eax
        movzx eax, byte [boot_drive]
        mov [es:BI_BOOT_DRIVE], eax
        mov si, cmdline
        mov di, BI_CMDLINE
        mov cx, CMDLINE_MAX - 1 ; always NUL terminated (boot_info was zeroed)
        rep movsb
        pop es
        ret

; read_high: eax = first LBA, ecx = bytes, edi = physical destination.
; Reads BOUNCE_SECTORS at a time into the bounce buffer and copies each chunk
; up; prints a dot per MiB. The first chunk of the kernel is checked as ELF.
read_high:
        mov [dap.lba], eax
        add ecx, 511
        shr ecx, 9
        mov [sectors_left], ecx
        mov [dest], edi
.chunk: mov ecx, [sectors_left]
        test ecx, ecx
        jz .done
        cmp ecx, BOUNCE_SECTORS
        jbe .sized
        mov ecx, BOUNCE_SECTORS
.sized: mov [dap.count], cx
        mov byte [retries], 3
.retry: mov si, dap
        mov ah, 0x42
        mov dl, [boot_drive]
        int 0x13
        jnc .read
        dec byte [retries]
        jz .error
        xor ah, ah              ; reset the controller, then again
        mov dl, [boot_drive]
        int 0x13
        jmp .retry
.read:  cmp byte [check_elf], 0
        je .copy
        mov byte [check_elf], 0
        call validate_elf
.copy:  movzx ecx, word [dap.count]
        shl ecx, 9
        mov esi, BOUNCE_SEG << 4
        mov edi, [dest]
        call copy_high
        movzx eax, word [dap.count]
        add [dap.lba], eax
        sub [sectors_left], eax
        shl eax, 9
        add [dest], eax
        test dword [dest], 0xFFFFF ; a dot every MiB
        jnz .chunk
        mov al, '.'
        call putc
        jmp .chunk
.done:  ret
.error: mov si, msg_disk
        call print
        mov eax, [dap.lba]
        call print_dec
        mov si, msg_crlf
        jmp fail

; copy_high: ecx bytes (a multiple of 4) from linear esi to linear edi.
; Enters unreal mode each time: a BIOS call may have reloaded the segments.
copy_high:
        push ds
        push es
        cli
        lgdt [gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 0x10
        mov ds, bx
        mov es, bx
        and al, 0xFE
        mov cr0, eax
        xor bx, bx
        mov ds, bx
        mov es, bx
        shr ecx, 2
        a32 rep movsd
        pop es
        pop ds
        sti
        ret

; validate_elf: the kernel's ELF header and program headers, read from the
; bounce buffer. Fails the boot unless it is an x86-64 executable whose
; PT_LOAD segments lie between 1 MiB and the staging area and within the file.
validate_elf:
        push fs
        mov ax, BOUNCE_SEG
        mov fs, ax
        cmp dword [fs:0], 0x464C457F    ; "\x7fELF"
        jne .bad
        cmp word [fs:4], 0x0102         ; ELFCLASS64, little endian
        jne .bad
        cmp word [fs:16], 2             ; ET_EXEC
        jne .bad
        cmp word [fs:18], 0x3E          ; EM_X86_64
        jne .bad
        cmp word [fs:54], 56            ; e_phentsize
        jne .bad
        movzx ecx, word [fs:56]         ; e_phnum
        test ecx, ecx
        jz .bad
        cmp ecx, 32
        ja .bad
        cmp dword [fs:36], 0            ; e_phoff < 4 GiB
        jne .bad
        mov ebx, [fs:32]
        imul eax, ecx, 56
        add eax, ebx
        jc .bad
        cmp eax, BOUNCE_SECTORS * 512   ; the table is in the first chunk
        ja .bad
        cmp eax, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_BYTES]
        ja .bad
.ph:    cmp dword [fs:bx], 1            ; PT_LOAD
        jne .next
        mov eax, [fs:bx + 12]           ; high dwords of offset, paddr, filesz, memsz
        or eax, [fs:bx + 28]
        or eax, [fs:bx + 36]
        or eax, [fs:bx + 44]
        jnz .bad
        mov eax, [fs:bx + 32]           ; filesz <= memsz
        cmp eax, [fs:bx + 40]
        ja .bad
        add eax, [fs:bx + 8]            ; offset + filesz within the file
        jc .bad
        cmp eax, [STAGE1_ADDR + LAYOUT_OFF + L_KERNEL_BYTES]
        ja .bad
        mov eax, [fs:bx + 24]           ; KERNEL_MIN_PHYS <= paddr, paddr + memsz <= KFILE_PHYS
        cmp eax, KERNEL_MIN_PHYS
        jb .bad
        add eax, [fs:bx + 40]
        jc .bad
        cmp eax, KFILE_PHYS
        ja .bad
.next:  add bx, 56
        loop .ph
        pop fs
        ret
.bad:   pop fs
        mov si, msg_bad_elf
        jmp fail

; ---------------------------------------------------------------- paging
; PML4[0] and PML4[256] -> a map of 0-4 GiB (2 MiB pages), at 0 (identity)
; and at 0xFFFF800000000000 (the kernel's direct map, usable from its first
; instruction); PML4[511] -> a PDPT whose entry 510 reuses the first PD, so
; 0xFFFFFFFF80000000 + x maps physical x for x < 1 GiB (the kernel link address).
build_page_tables:
        push es
        mov ax, PT_BASE >> 4
        mov es, ax
        xor di, di
        xor eax, eax
        mov cx, 0x7000 / 4
        rep stosd
        mov dword [es:0x0000], PT_BASE + 0x1003         ; PML4[0]
        mov dword [es:0x0800], PT_BASE + 0x1003         ; PML4[256]
        mov dword [es:0x0FF8], PT_BASE + 0x6003         ; PML4[511]
        mov dword [es:0x1000], PT_BASE + 0x2003         ; PDPT_lo[0..3]
        mov dword [es:0x1008], PT_BASE + 0x3003
        mov dword [es:0x1010], PT_BASE + 0x4003
        mov dword [es:0x1018], PT_BASE + 0x5003
        mov dword [es:0x6FF0], PT_BASE + 0x2003         ; PDPT_hi[510]
        mov di, 0x2000                                  ; 2048 PD entries
        xor ecx, ecx
.pde:   mov eax, ecx
        shl eax, 21
        or eax, 0x83                                    ; present, writable, 2 MiB
        mov [es:di], eax
        mov eax, ecx
        shr eax, 11
        mov [es:di + 4], eax
        add di, 8
        inc ecx
        cmp ecx, 2048
        jb .pde
        pop es
        ret

enter_long_mode:
        cli
        lgdt [gdt_desc]
        mov eax, cr4
        or eax, 1 << 5          ; PAE
        mov cr4, eax
        mov eax, PT_BASE
        mov cr3, eax
        mov ecx, 0xC0000080     ; EFER.LME
        rdmsr
        or eax, 1 << 8
        wrmsr
        mov eax, cr0
        or eax, 0x80000001      ; paging + protection at once: straight to long mode
        mov cr0, eax
        jmp 0x08:long_mode

        bits 64
; Copies each PT_LOAD of the staged kernel file to its physical address,
; zeroes the rest of its memory size, and jumps to e_entry.
long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov rsp, STACK_TOP
        mov rbx, KFILE_PHYS
        movzx r8d, word [rbx + 56]      ; e_phnum
        mov r9, [rbx + 32]              ; e_phoff
        add r9, rbx
.ph:    cmp dword [r9], 1
        jne .next
        mov rdi, [r9 + 24]              ; p_paddr
        mov rsi, [r9 + 8]               ; p_offset
        add rsi, rbx
        mov rcx, [r9 + 32]              ; p_filesz
        rep movsb
        mov rcx, [r9 + 40]              ; p_memsz - p_filesz
        sub rcx, [r9 + 32]
        xor eax, eax
        rep stosb
.next:  add r9, 56
        dec r8d
        jnz .ph
        mov rdi, BOOTINFO_PHYS
        mov rax, [rbx + 24]             ; e_entry
        jmp rax

        bits 16
%include "print16.inc"

; ---------------------------------------------------------------- data
        align 8
gdt:    dq 0
        dq 0x00209A0000000000   ; 0x08: 64-bit code
        dq 0x00CF92000000FFFF   ; 0x10: flat 4 GiB data (long mode and unreal mode)
gdt_desc:
        dw gdt_desc - gdt - 1
        dd gdt

dap:    db 16, 0
.count: dw 0
        dw 0, BOUNCE_SEG        ; offset, segment
.lba:   dq 0

boot_drive:     db 0
check_elf:      db 0
retries:        db 0
window_ok:      db 0
sectors_left:   dd 0
dest:           dd 0
archive_phys:   dd 0
load_end:       dd 0

msg_loading: db "hydros: loading kernel and boot archive ", 0
msg_done:    db " ok", 13, 10, 0
msg_crlf:    db 13, 10, 0
msg_a20:     db "hydros: boot failed: the A20 line cannot be enabled", 13, 10, 0
msg_no_lm:   db "hydros: boot failed: this CPU has no long mode (x86-64 required)", 13, 10, 0
msg_no_e820: db "hydros: boot failed: the BIOS gives no E820 memory map", 13, 10, 0
msg_mem1:    db "hydros: boot failed: too little memory: ", 0
msg_mem2:    db " MiB usable, at least 128 MiB needed", 13, 10, 0
msg_window:  db "hydros: boot failed: no usable RAM range holds the kernel and archive from 1 MiB up", 13, 10, 0
msg_disk:    db 13, 10, "hydros: boot failed: disk read error at LBA ", 0
msg_bad_elf: db 13, 10, "hydros: boot failed: the kernel is not a valid x86-64 ELF executable", 13, 10, 0

        times STAGE2_MAX_SECT * 512 - ($ - $$) db 0  ; fails to assemble if stage 2 outgrows its sectors
