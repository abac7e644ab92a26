/// Memory-management system calls over the process's AddressSpace:
/// brk, mmap (anonymous, and private file mappings read eagerly), munmap,
/// mprotect and madvise.
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
        let file: OpenFile? = anonymous ? nil : try currentProcess.files.file(a.int32(4))

        var start: UInt64? = nil
        if flags & (mapFixed | mapFixedNoReplace) != 0 {
            let (lower, upper) = try pageRange(hint, length)
            guard lower >= minimumAddress else { throw .EPERM }
            guard upper <= KernelHeap.arenaStart || lower >= KernelHeap.arenaEnd else { throw .ENOMEM }
            if flags & mapFixed != 0 {
                currentProcess.addressSpace.unmap(lower, upper)
            } else if !currentProcess.addressSpace.isFree(lower, upper) {
                throw .EEXIST
            }
            start = lower
        } else if hint != 0, hint & AddressSpace.pageMask == 0, hint >= minimumAddress,
                  hint + length <= currentProcess.addressSpace.mmapTop, currentProcess.addressSpace.isFree(hint, hint + length) {
            start = hint
        }
        guard let base = currentProcess.addressSpace.reserveAnonymous(at: start, length: length,
                                                                      protection: protection) else { throw .ENOMEM }
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

    /// Reads a file's bytes into freshly reserved pages (MAP_PRIVATE semantics;
    /// MAP_SHARED writes are not carried back to the file).
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
        guard currentProcess.addressSpace.protect(start, end, Protection(bits: a[2])) else { throw .ENOMEM }
        return 0
    }

    static func madvise(_ a: SyscallArguments) throws(Errno) -> Int {
        let (start, end) = try pageRange(a[0], max(a[1], 1))
        if a.int32(2) == madviseDontNeed {
            currentProcess.addressSpace.discardPages(start, end)
        }
        return 0
    }
}
