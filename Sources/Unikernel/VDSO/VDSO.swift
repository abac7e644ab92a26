import UnikernelABI

/// Maps the vDSO (VDSO/vdso.S, embedded by vdso_image.S) into the
/// application: its code pages, then the clock-data page it reads, so that
/// clock_gettime, gettimeofday, time, getcpu and clock_getres never leave the guest.
enum VDSO {
    /// Offsets in the clock-data page (must match vdso.S).
    static let bootTSCOffset = 0, bootRealtimeOffset = 8, multiplierOffset = 16, shiftOffset = 24
    /// Where the vDSO finds the kernel's syscall stub entry (0: it uses `syscall`).
    static let syscallEntryOffset = 32
    /// Nanoseconds = (TSC ticks × multiplier) >> shift.
    static let shift: UInt64 = 32

    /// The multiplier for a TSC of `hz` ticks per second.
    static func multiplier(hz: UInt64) -> UInt64 {
        (1_000_000_000 << shift) / (hz == 0 ? 1_000_000_000 : hz)
    }

    /// Maps the vDSO below the mmap area's top; returns its base, or 0 when it cannot be mapped.
    static func map(into space: inout AddressSpace, clock info: uk_boot_info) -> UInt64 {
        let image = uk_vdso_image_address()
        let size = uk_vdso_image_size()
        let codePages = (size + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE
        let length = (codePages + 1) * UK_PAGE_SIZE
        guard let base = space.findFreeRange(length: length) else { return 0 }
        space.reserveKernelMapped(at: base, length: length, protection: Protection(bits: 5))
        for page in 0..<codePages {
            guard let frame = Frames.allocate() else { return 0 }
            let count = Int(min(UK_PAGE_SIZE, size - page * UK_PAGE_SIZE))
            // SAFETY: the image is `size` bytes of kernel rodata; the frame is a fresh zeroed page.
            DirectMap.pointer(frame).copyMemory(from: UnsafeRawPointer(bitPattern: UInt(image + page * UK_PAGE_SIZE))!,
                                                byteCount: count)
            guard space.mapper.map(base + page * UK_PAGE_SIZE, to: frame, Protection(bits: 5)) else { return 0 }
        }
        guard let data = Frames.allocate() else { return 0 }
        let page = DirectMap.pointer(data)
        // SAFETY: the clock page is a fresh frame; five words at the offsets vdso.S reads.
        page.storeBytes(of: info.boot_tsc, toByteOffset: bootTSCOffset, as: UInt64.self)
        page.storeBytes(of: info.boot_realtime_ns, toByteOffset: bootRealtimeOffset, as: UInt64.self)
        page.storeBytes(of: multiplier(hz: info.tsc_hz), toByteOffset: multiplierOffset, as: UInt64.self)
        page.storeBytes(of: shift, toByteOffset: shiftOffset, as: UInt64.self)
        // Its fallback syscalls jump into the kernel wherever hot sites are rewritten too.
        let entry = SyscallPatcher.enabled ? uk_syscall_stub_entry_address() : 0
        page.storeBytes(of: entry, toByteOffset: syscallEntryOffset, as: UInt64.self)
        guard space.mapper.map(base + codePages * UK_PAGE_SIZE, to: data, .read) else { return 0 }
        return base
    }
}

@_extern(c, "uk_vdso_image_address") func uk_vdso_image_address() -> UInt64
@_extern(c, "uk_vdso_image_size") func uk_vdso_image_size() -> UInt64
