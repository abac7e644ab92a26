import UnikernelABI

/// MAP_SHARED memory. The host maps a file (its page cache) or new shared anonymous memory
/// and adds that mapping to the VM as a window of guest-physical memory above RAM
/// (UK_PROC_MAP_SHARED); the application's pages of a shared region are the window's frames,
/// mapped on first touch, so the program, the host and every other process mapping the same
/// file (or sharing the memory since a fork: the runner's host mapping is inherited shared)
/// see the same bytes, with no copy and nothing to write back. The kernel reaches window
/// frames through the direct map like RAM, one page at a time as they are first mapped.
/// A window goes back to the host when no region uses it any more.
enum SharedWindows {
    struct Window {
        var base: UInt64
        var size: UInt64
        /// The bytes of it the file backed when last asked (pages past them are SIGBUS).
        var backed: UInt64
    }

    private(set) static var windows: [Window] = []

    /// A window over `length` bytes of host handle `handle` at `offset` (-1: shared anonymous
    /// memory); its guest-physical base.
    static func create(handle: Int32, offset: UInt64, length: UInt64, writable: Bool) throws(Errno) -> UInt64 {
        let base = try Errno.check(Hypercall.process(UK_PROC_MAP_SHARED, Int64(handle), Int64(offset), Int64(length),
                                                     flags: writable ? 1 : 0))
        var window = Window(base: UInt64(base), size: length, backed: 0)
        guard window.base >= UK_SHARED_WINDOW_BASE, window.base & (AddressSpace.pageSize - 1) == 0,
              length <= UK_SHARED_WINDOW_END - window.base else {
            kernelPanic("the host placed a shared window outside the window range", value: window.base)
        }
        window.backed = backedSize(window.base, atMost: length)
        windows.append(window)
        return window.base
    }

    /// Records a window the host made for another reason (a System V segment it attached):
    /// `size` bytes at `base`, all backed.
    static func adopt(_ base: UInt64, size: UInt64) {
        guard base >= UK_SHARED_WINDOW_BASE, base & (AddressSpace.pageSize - 1) == 0, size <= UK_SHARED_WINDOW_END - base else {
            kernelPanic("the host placed a shared window outside the window range", value: base)
        }
        windows.append(Window(base: base, size: size, backed: size))
    }

    private static func backedSize(_ base: UInt64, atMost limit: UInt64) -> UInt64 {
        min(UInt64(max(0, Hypercall.process(UK_PROC_SHARED_SIZE, Int64(base)))), limit)
    }

    /// Whether window frame `frame` lies in the part its file backs (asking the host again when
    /// it did not: the file may have grown since).
    static func isBacked(_ frame: UInt64) -> Bool {
        guard let index = windows.firstIndex(where: { frame >= $0.base && frame - $0.base < $0.size }) else { return false }
        if frame - windows[index].base < windows[index].backed { return true }
        windows[index].backed = backedSize(windows[index].base, atMost: windows[index].size)
        return frame - windows[index].base < windows[index].backed
    }

    /// Makes window frame `frame` reachable through the direct map (DirectMap.pointer), as RAM is.
    static func reach(_ frame: UInt64) -> Bool {
        let mapper = PageMapper(root: PageMapper.sharedRoot)
        let virtual = DirectMap.virtualAddress(frame)
        if mapper.lookup(virtual) != nil { return true }
        return mapper.map(virtual, to: frame, .readWrite, user: Platform.kernelPagesUserAccessible)
    }

    /// Gives the window at `base` back to the host: its direct-map pages are removed, every
    /// vCPU flushes its translations, then the host drops it.
    static func release(_ base: UInt64) {
        guard let index = windows.firstIndex(where: { $0.base == base }) else { return }
        let window = windows.remove(at: index)
        let mapper = PageMapper(root: PageMapper.sharedRoot)
        var page = window.base
        let end = window.base + window.size
        while page < end {
            let virtual = DirectMap.virtualAddress(page)
            if let skip = mapper.unmappedSpan(at: virtual) {
                page = (page & ~(skip - 1)) &+ skip
                continue
            }
            _ = mapper.unmap(virtual)
            page += AddressSpace.pageSize
        }
        TLB.flushEverywhere()
        _ = Hypercall.process(UK_PROC_UNMAP_SHARED, Int64(base))
    }

    /// msync of `length` bytes at `offset` into the window at `base`.
    static func sync(_ base: UInt64, offset: UInt64, length: UInt64, flags: UInt32) throws(Errno) {
        _ = try Errno.check(Hypercall.process(UK_PROC_SYNC_SHARED, Int64(base), Int64(offset), Int64(length), flags: flags))
    }
}
