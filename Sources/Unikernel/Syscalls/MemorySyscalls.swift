/// Memory-management system calls over the process's AddressSpace:
/// brk, mmap (anonymous, private file mappings read eagerly, and shared
/// mappings over host windows: SharedWindows), munmap, mprotect, msync and madvise.
enum MemorySyscalls {
    static let mapShared: UInt64 = 0x01
    static let mapPrivate: UInt64 = 0x02
    static let mapFixed: UInt64 = 0x10
    static let mapAnonymous: UInt64 = 0x20
    static let mapFixedNoReplace: UInt64 = 0x10_0000
    static let madviseDontNeed = 4
    /// Linux's default vm.mmap_min_addr.
    static let minimumAddress: UInt64 = 0x10000

    static func brk(_ a: SyscallArguments) throws(Errno) -> Int {
        Int(currentProcess.addressSpace.setBreak(a[0]))
    }

    /// Page-aligned [start, end) for an (address, length) pair, or EINVAL.
    private static func pageRange(_ address: UInt64, _ length: UInt64) throws(Errno) -> (UInt64, UInt64) {
        guard address & AddressSpace.pageMask == 0, length > 0 else { throw .EINVAL }
        let (end, overflow) = address.addingReportingOverflow(AddressSpace.pageUp(length))
        guard !overflow, AddressSpace.pageUp(length) != 0, end <= PageMapper.lowerHalfEnd else { throw .EINVAL }
        return (address, end)
    }

    static func mmap(_ a: SyscallArguments) throws(Errno) -> Int {
        let hint = a[0], flags = a[3], offset = a[5]
        guard a[1] > 0, a[1] < PageMapper.lowerHalfEnd else { throw a[1] == 0 ? .EINVAL : .ENOMEM }
        let length = AddressSpace.pageUp(a[1])
        guard offset & AddressSpace.pageMask == 0, flags & (mapShared | mapPrivate) != 0 else { throw .EINVAL }
        let protection = Protection(bits: a[2])
        let anonymous = flags & mapAnonymous != 0
        let shared = flags & (mapShared | mapPrivate) != mapPrivate  // MAP_SHARED or MAP_SHARED_VALIDATE
        guard shared || currentProcess.addressSpace.canCommit(length, protection) else { throw .ENOMEM }
        let file: OpenFile? = anonymous ? nil : try currentProcess.files.file(a.int32(4))
        var mayWrite = true
        if shared, let file {
            // As Linux: a shared mapping needs a readable file, and PROT_WRITE a read-write one;
            // a pipe or other object the kernel serves cannot be mapped.
            guard file.object == nil else { throw .ENODEV }
            guard file.flags & 3 != 1 else { throw .EACCES }
            mayWrite = file.flags & 3 == 2
            guard mayWrite || !protection.isWritable else { throw .EACCES }
        }
        // As Linux: a file offset whose mapping would end past the largest loff_t is EOVERFLOW
        // (found by the system-call fuzzer: the conversion to a host offset trapped).
        if file != nil { guard offset <= UInt64(Int64.max) - length else { throw .EOVERFLOW } }

        var start: UInt64? = nil
        if flags & (mapFixed | mapFixedNoReplace) != 0 {
            let (lower, upper) = try pageRange(hint, length)
            guard lower >= minimumAddress else { throw .EPERM }
            guard !KernelHeap.overlapsArena(lower, upper) else { throw .ENOMEM }
            if flags & mapFixed != 0 {
                currentProcess.addressSpace.unmap(lower, upper)
            } else if !currentProcess.addressSpace.isFree(lower, upper) {
                throw .EEXIST
            }
            start = lower
        } else if hint != 0, hint & AddressSpace.pageMask == 0, hint >= minimumAddress,
                  hint < currentProcess.addressSpace.mmapTop, length <= currentProcess.addressSpace.mmapTop - hint, currentProcess.addressSpace.isFree(hint, hint + length) {
            start = hint
        }
        let name = currentProcess.addressSpace.nameIndex(mappingName(of: file, shared: shared))
        if shared {
            return try mapShared(at: start, length: length, protection: protection, file: file, offset: offset,
                                 mayWrite: mayWrite, name: name)
        }
        guard let base = currentProcess.addressSpace.reserveAnonymous(at: start, length: length, protection: protection,
                                                                      name: name, fileOffset: file == nil ? 0 : offset) else { throw .ENOMEM }
        if let file {
            do throws(Errno) {
                try fill(base, length: length, from: file, offset: offset)
            } catch {
                currentProcess.addressSpace.unmap(base, base + length)
                throw error
            }
        }
        return Int(base)
    }

    /// A shared mapping: a host window over the file's pages (or new shared memory, for
    /// MAP_ANONYMOUS), placed at `start` or the highest free range.
    /// What /proc/<pid>/maps names a mapping by: the file's path as it was opened; as Linux,
    /// shared anonymous memory (and /dev/zero mapped shared) is "/dev/zero (deleted)", and
    /// /dev/zero mapped privately is plain anonymous memory.
    private static func mappingName(of file: OpenFile?, shared: Bool) -> [UInt8] {
        let zero = KernelFileTree.bytes("/dev/zero")
        guard let file else { return shared ? zero + KernelFileTree.bytes(" (deleted)") : [] }
        guard file.path.first == PathResolver.slash else { return [] }
        if file.path == zero { return shared ? zero + KernelFileTree.bytes(" (deleted)") : [] }
        return file.path
    }

    private static func mapShared(at start: UInt64?, length: UInt64, protection: Protection, file: OpenFile?,
                                  offset: UInt64, mayWrite: Bool, name: UInt16) throws(Errno) -> Int {
        guard let base = start ?? currentProcess.addressSpace.findFreeRange(length: length) else { throw .ENOMEM }
        let window = try SharedWindows.create(handle: file?.hostHandle ?? -1, offset: file == nil ? 0 : offset,
                                              length: length, writable: mayWrite)
        currentProcess.addressSpace.reserveShared(at: base, length: length, protection: protection, window: window,
                                                  backing: window, mayWrite: mayWrite, name: name,
                                                  fileOffset: file == nil ? 0 : offset)
        return Int(base)
    }

    /// Reads a file's bytes into freshly reserved pages (MAP_PRIVATE semantics).
    private static func fill(_ base: UInt64, length: UInt64, from file: OpenFile, offset: UInt64) throws(Errno) {
        var done: UInt64 = 0
        while done < length {
            let chunk = min(length - done, UInt64(BounceBuffer.capacity))
            let moved = try Errno.check(Hypercall.read(handle: file.hostHandle, bufferPhysical: BounceBuffer.physical,
                                                       length: Int(chunk), offset: Int64(offset + done)))
            var copied = 0
            while copied < moved {
                let address = base + done + UInt64(copied)
                guard let frame = currentProcess.addressSpace.populate(address) else { throw .ENOMEM }
                let count = min(moved - copied, Int(AddressSpace.pageSize - (address & AddressSpace.pageMask)))
                // SAFETY: `frame` backs the page at `address`; count stays within that page
                // and within the `moved` bytes the host wrote into the bounce buffer.
                DirectMap.pointer(frame + (address & AddressSpace.pageMask))
                    .copyMemory(from: BounceBuffer.pointer + copied, byteCount: count)
                copied += count
            }
            if moved < Int(chunk) { return }
            done += chunk
        }
    }

    static func munmap(_ a: SyscallArguments) throws(Errno) -> Int {
        let (start, end) = try pageRange(a[0], a[1])
        currentProcess.addressSpace.unmap(start, end)
        return 0
    }

    static func mprotect(_ a: SyscallArguments) throws(Errno) -> Int {
        let (start, end) = try pageRange(a[0], a[1])
        let protection = Protection(bits: a[2])
        guard !protection.isWritable || currentProcess.addressSpace.mayBecomeWritable(start, end) else { throw .EACCES }
        guard currentProcess.addressSpace.protect(start, end, protection) else { throw .ENOMEM }
        return 0
    }

    static func madvise(_ a: SyscallArguments) throws(Errno) -> Int {
        let (start, end) = try pageRange(a[0], max(a[1], 1))
        if a.int32(2) == madviseDontNeed {
            currentProcess.addressSpace.discardPages(start, end)
        }
        return 0
    }

    static let mremapMayMove: UInt64 = 1
    static let mremapFixed: UInt64 = 2

    /// mremap(old, oldSize, newSize, flags, newAddress): moves frames, never bytes.
    static func mremap(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a[3]
        guard flags & ~(mremapMayMove | mremapFixed | 4) == 0, a[0] & AddressSpace.pageMask == 0, a[2] > 0 else { throw .EINVAL }
        guard flags & mremapFixed == 0 || flags & mremapMayMove != 0 else { throw .EINVAL }
        // Lengths past the lower half (whose page rounding could wrap) are EINVAL, as on Linux, before any sum.
        guard a[1] < PageMapper.lowerHalfEnd else { throw .EINVAL }
        guard a[2] < PageMapper.lowerHalfEnd else { throw .EINVAL }
        let oldLength = AddressSpace.pageUp(a[1]), newLength = AddressSpace.pageUp(a[2])
        guard oldLength > 0 else { throw .EINVAL }  // duplicating shared mappings is not supported
        _ = try pageRange(a[0], oldLength)
        var destination: UInt64?
        if flags & mremapFixed != 0 {
            let (lower, upper) = try pageRange(a[4], newLength)
            guard lower >= minimumAddress, upper <= a[0] || lower >= a[0] + oldLength else { throw .EINVAL }
            guard !KernelHeap.overlapsArena(lower, upper) else { throw .ENOMEM }
            destination = lower
        }
        switch currentProcess.addressSpace.remap(a[0], oldLength: oldLength, newLength: newLength,
                                                 mayMove: flags & mremapMayMove != 0, destination: destination) {
        case let .success(address): return Int(address)
        case let .failure(error): throw error
        }
    }

    /// mincore: every reserved page reports as resident (guest memory is never swapped).
    static func mincore(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[0] & AddressSpace.pageMask == 0 else { throw .EINVAL }
        let (start, end) = try pageRange(a[0], max(a[1], 1))
        guard currentProcess.addressSpace.isReserved(start, end) else { throw .ENOMEM }
        let pages = Int((end - start) / AddressSpace.pageSize)
        try UserMemory.copyOut(from: [UInt8](repeating: 1, count: pages), to: a[2])
        return 0
    }

    /// msync: a shared mapping's pages are the host file's already; MS_SYNC asks the host to
    /// write them out (its msync). Private and anonymous mappings have nothing to write back.
    static func msync(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[0] & AddressSpace.pageMask == 0, a[2] & ~UInt64(7) == 0, a[2] & 5 != 5 else { throw .EINVAL }
        let (start, end) = try pageRange(a[0], max(a[1], 1))
        guard currentProcess.addressSpace.isReserved(start, end) else { throw .ENOMEM }
        for part in currentProcess.addressSpace.sharedParts(start, end) {
            try SharedWindows.sync(part.window, offset: part.offset, length: part.length, flags: UInt32(a[2]))
        }
        return 0
    }

    /// mlock and friends: guest memory is never paged out.
    static func lock(_ a: SyscallArguments) throws(Errno) -> Int { 0 }

    /// mlockall(flags): MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4 (not alone).
    static func lockAll(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a[0]
        guard flags != 0, flags & ~UInt64(7) == 0, flags != 4 else { throw .EINVAL }
        return 0
    }
}
