import UnikernelABI

/// The application's address space, laid out like Linux's: the ELF image,
/// the brk heap after it, the 8 MiB stack below 0x7ffffffff000 (with an
/// unmapped guard page below it) and mmap areas growing down from below the
/// stack. Regions are reserved ranges; pages of zero-fill regions are mapped
/// on first touch (page fault, or the kernel's user-copy helper).
///
/// With address-space randomisation (the default; UK_BOOT_NO_ASLR turns it
/// off, as `setarch -R` does on Linux) the stack top moves down by a random
/// number of pages (up to 64 MiB, staying above the kernel heap arena) and
/// the top of the mmap area by up to 2^28 pages, as Linux's mmap_rnd_bits.
struct AddressSpace {
    static let highestStackTop: UInt64 = 0x7FFF_FFFF_F000
    static let stackSize: UInt64 = 8 * 1024 * 1024
    static let highestMmapTop: UInt64 = 0x7FFF_F7FF_F000
    static let stackRandomPages: UInt64 = 16 * 1024 - 2 * 1024 - 2  // the stack stays above KernelHeap.arenaEnd
    static let mmapRandomPages: UInt64 = 1 << 28
    static let mmapBottom: UInt64 = 0x1000_0000
    static let pageSize = UK_PAGE_SIZE
    static let pageMask = UK_PAGE_SIZE - 1

    static func pageDown(_ value: UInt64) -> UInt64 { value & ~pageMask }
    static func pageUp(_ value: UInt64) -> UInt64 { (value &+ pageMask) & ~pageMask }

    var mapper = PageMapper(root: 0)
    /// Sorted by start, never overlapping.
    var regions: [Region] = []
    /// The names of the files mapped into the space (`Region.name` indexes it; entry 0 is the
    /// empty name). Interned, so a library's segments share one entry; at most `maximumNames`.
    private(set) var names: [[UInt8]] = [[]]
    static let maximumNames = 4096
    var brkStart: UInt64 = 0
    var brkCurrent: UInt64 = 0
    /// One past the stack's highest byte.
    var stackTop = AddressSpace.highestStackTop
    /// The mmap area grows down from here.
    var mmapTop = AddressSpace.highestMmapTop

    init() {}

    init(root: UInt64) { mapper = PageMapper(root: root) }

    // MARK: Set-up

    /// Maps each PT_LOAD segment from the flat image (pages shared by two
    /// segments get the union of their rights) and places brk after the highest one.
    mutating func mapImage(_ info: uk_boot_info) {
        var highest: UInt64 = 0
        for index in 0..<Int(info.segment_count) {
            // SAFETY: the host placed segment_count uk_segment entries at segments_phys.
            let segment = DirectMap.pointer(info.segments_phys + UInt64(index * 32)).load(as: uk_segment.self)
            let protection = Protection(segmentFlags: segment.flags)
            let start = AddressSpace.pageDown(segment.vaddr)
            let end = AddressSpace.pageUp(segment.vaddr + segment.memsz)
            var page = start
            while page < end {
                var rights = protection
                if let existing = mapper.lookup(page) {
                    rights = rights.union(Protection(bits: (existing.entry & PageMapper.writable != 0 ? 3 : 1)
                        | (existing.entry & PageMapper.noExecute == 0 ? 4 : 0)))
                }
                guard page >= info.app_image_vaddr, page - info.app_image_vaddr < info.app_image_size,
                      mapper.map(page, to: info.app_image_phys + (page - info.app_image_vaddr), rights) else {
                    kernelPanic("cannot map an application segment")
                }
                page += AddressSpace.pageSize
            }
            insert(Region(start: start, end: end, protection: protection, kind: .image), merging: true)
            highest = max(highest, end)
        }
        brkStart = highest
        brkCurrent = highest
    }

    /// Moves the stack top and the mmap area down by random page counts.
    mutating func randomize(_ random: inout RandomGenerator) {
        stackTop = AddressSpace.highestStackTop - (random.next() % AddressSpace.stackRandomPages) * AddressSpace.pageSize
        mmapTop = AddressSpace.highestMmapTop - (random.next() % AddressSpace.mmapRandomPages) * AddressSpace.pageSize
    }

    /// Reserves the stack region; returns its top.
    mutating func reserveStack() -> UInt64 {
        insert(Region(start: stackTop - AddressSpace.stackSize, end: stackTop,
                      protection: .readWrite, kind: .stack), merging: false)
        return stackTop
    }

    // MARK: Regions

    func regionIndex(containing address: UInt64) -> Int? {
        for (index, region) in regions.enumerated() where region.contains(address) { return index }
        return nil
    }

    func isFree(_ start: UInt64, _ end: UInt64) -> Bool {
        for region in regions where region.overlaps(start, end) { return false }
        return true
    }

    private mutating func insert(_ region: Region, merging: Bool) {
        var index = 0
        while index < regions.count && regions[index].start < region.start { index += 1 }
        if merging, index < regions.count, regions[index].overlaps(region.start, region.end) {
            // Image pages shared by two segments: widen the existing region.
            regions[index].start = min(regions[index].start, region.start)
            regions[index].end = max(regions[index].end, region.end)
            regions[index].protection = regions[index].protection.union(region.protection)
            return
        }
        if merging, index > 0, regions[index - 1].overlaps(region.start, region.end) {
            regions[index - 1].end = max(regions[index - 1].end, region.end)
            regions[index - 1].protection = regions[index - 1].protection.union(region.protection)
            return
        }
        regions.insert(region, at: index)
    }

    /// Makes `address` a region boundary (splitting the region that spans it).
    private mutating func split(at address: UInt64) {
        guard let index = regionIndex(containing: address), regions[index].start != address else { return }
        var upper = regions[index]
        upper.start = address
        if upper.kind == .shared { upper.backing = regions[index].sharedFrame(address) }
        if upper.name != 0 { upper.fileOffset &+= address &- regions[index].start }
        regions[index].end = address
        regions.insert(upper, at: index + 1)
    }

    // MARK: Demand paging

    /// Serves a fault in a reserved but unpopulated page with a zeroed frame.
    /// Returns false for every fault that is a real error. A fault on a page that is
    /// mapped by now, with an entry that allows the access, was served by another vCPU
    /// while this one waited for the kernel lock (its demand fault, fault-around or
    /// mprotect): returning true retries the access.
    mutating func handlePageFault(at address: UInt64, access: PageFaultAccess) -> Bool {
        guard address < PageMapper.lowerHalfEnd, let index = regionIndex(containing: address) else { return false }
        if let mapped = mapper.lookup(AddressSpace.pageDown(address)) {
            return AddressSpace.allows(mapped.entry, access)
        }
        let region = regions[index]
        guard !access.present, region.kind != .image, region.protection.isAccessible,
              !access.write || region.protection.isWritable,
              !access.instructionFetch || region.protection.isExecutable else { return false }
        if region.kind == .shared { return mapShared(AddressSpace.pageDown(address), in: region) }
        if let block = largePageBlock(for: address, in: region), let frame = Frames.allocateHuge() {
            if mapper.mapHuge(block, to: frame, region.protection) { return true }
            Frames.allocator.releaseHuge(frame)  // never mapped: back at once
        }
        guard let frame = Frames.allocate(),
              mapper.map(AddressSpace.pageDown(address), to: frame, region.protection) else { return false }
        faultAround(address, in: region)
        return true
    }

    /// Large pages for zero-filled memory (UK_BOOT_NO_LARGE_PAGES, the runner's
    /// `--no-huge-pages`, turns them off): as Linux's transparent huge pages set to `always`.
    static var largePages = true

    /// The 2 MiB block a demand fault at `address` may fill with one large page: when the
    /// region is zero-filled memory (heap, stack, anonymous mmap) that covers the whole aligned
    /// block and nothing in the block is mapped yet. One fault then serves 512 pages, and the
    /// TLB needs one entry where it needed 512.
    private func largePageBlock(for address: UInt64, in region: Region) -> UInt64? {
        guard AddressSpace.largePages, region.kind == .anonymous || region.kind == .heap || region.kind == .stack,
              region.protection.isAccessible else { return nil }
        let block = address & ~(PageMapper.hugePageSize - 1)
        guard block >= region.start, region.end - block >= PageMapper.hugePageSize, mapper.isEmptyBlock(block) else { return nil }
        return block
    }

    /// Maps a page of a shared region to its window frame (reachable by the kernel too).
    private mutating func mapShared(_ page: UInt64, in region: Region) -> Bool {
        let frame = region.sharedFrame(page)
        return SharedWindows.isBacked(frame) && SharedWindows.reach(frame) && mapper.map(page, to: frame, region.protection)
    }

    /// Whether `address` is in a shared file mapping past the end of its file (SIGBUS, BUS_ADRERR).
    mutating func isPastSharedFileEnd(_ address: UInt64) -> Bool {
        guard let index = regionIndex(containing: address), regions[index].kind == .shared else { return false }
        return !SharedWindows.isBacked(regions[index].sharedFrame(AddressSpace.pageDown(address)))
    }

    /// Whether a leaf entry lets the application make `access`.
    static func allows(_ entry: UInt64, _ access: PageFaultAccess) -> Bool {
        let userPresent = PageMapper.present | PageMapper.user
        return entry & userPresent == userPresent && (!access.write || entry & PageMapper.writable != 0)
            && (!access.instructionFetch || entry & PageMapper.noExecute == 0)
    }

    /// Pages mapped ahead on each demand fault: the fault path runs at CPL0,
    /// where every instruction is emulated on this platform, so one fault
    /// populates the aligned 64 KiB block around it (as Linux's fault-around
    /// does for file pages). Frames cost nothing until touched on the host.
    static let faultAroundPages: UInt64 = 16

    private func faultAround(_ address: UInt64, in region: Region) {
        let blockSize = AddressSpace.faultAroundPages * UK_PAGE_SIZE
        let blockStart = max(address & ~(blockSize - 1), region.start)
        let blockEnd = min((address & ~(blockSize - 1)) + blockSize, region.end)
        var page = blockStart
        while page < blockEnd {
            defer { page += UK_PAGE_SIZE }
            guard mapper.lookup(page) == nil else { continue }
            guard Frames.availableCount > AddressSpace.reservedFrames, let frame = Frames.allocate() else { return }
            guard mapper.map(page, to: frame, region.protection) else {
                Frames.release(frame)
                return
            }
        }
    }

    /// Frames fault-around leaves for page tables and the kernel heap.
    static let reservedFrames = 256

    /// Physical frame behind a user page, populating it on first touch.
    /// Fails for unreserved pages, PROT_NONE and writes to read-only pages. With `write` the
    /// page is marked dirty, as the program's own write would mark it (UK_PROC_FORK's vfork).
    mutating func frame(for address: UInt64, write: Bool) -> UInt64? {
        let page = AddressSpace.pageDown(address)
        if let mapped = mapper.lookup(page) {
            if mapped.entry & PageMapper.present == 0 { return nil }
            if write && mapped.entry & PageMapper.writable == 0 { return nil }
            if write && mapped.entry & PageMapper.dirty == 0 { mapper.markDirty(page) }
            return mapped.frame
        }
        guard handlePageFault(at: page, access: PageFaultAccess(write: write)),
              let mapped = mapper.lookup(page) else { return nil }
        if write && mapped.entry & PageMapper.dirty == 0 { mapper.markDirty(page) }
        return mapped.frame
    }

    /// Backs the page at `address` with a frame regardless of its protection
    /// (the kernel filling a file mapping); nil when it is not reserved.
    mutating func populate(_ address: UInt64) -> UInt64? {
        let page = AddressSpace.pageDown(address)
        if let mapped = mapper.lookup(page) { return mapped.frame }
        if let index = regionIndex(containing: page), regions[index].kind == .shared {
            return mapShared(page, in: regions[index]) ? regions[index].sharedFrame(page) : nil
        }
        guard let index = regionIndex(containing: page), let frame = Frames.allocate(),
              mapper.map(page, to: frame, regions[index].protection) else { return nil }
        return frame
    }

    // MARK: mmap, munmap, mprotect, brk

    /// Unmaps every page in [start, end) and drops the regions there.
    mutating func unmap(_ start: UInt64, _ end: UInt64) {
        TLB.beginBatch()
        defer { TLB.endBatch() }
        split(at: start)
        split(at: end)
        var windows: [UInt64] = []
        for region in regions where region.kind == .shared && region.start >= start && region.end <= end
            && !windows.contains(region.window) {
            windows.append(region.window)
        }
        regions.removeAll { $0.start >= start && $0.end <= end }
        releasePages(start, end)
        // A window no region uses any more goes back to the host (after every vCPU's flush).
        for window in windows where !regions.contains(where: { $0.kind == .shared && $0.window == window }) {
            SharedWindows.release(window)
        }
    }

    /// Drops the pages in [start, end) but keeps the reservation (MADV_DONTNEED:
    /// zero-fill regions read back as zero).
    mutating func discardPages(_ start: UInt64, _ end: UInt64) {
        TLB.beginBatch()
        defer { TLB.endBatch() }
        forEachPageWithTables(start, end) { page in
            guard let index = regionIndex(containing: page), regions[index].kind != .image else { return AddressSpace.pageSize }
            return releasePage(page, end)
        }
    }

    /// Returns the frames of every mapped page in [start, end).
    private mutating func releasePages(_ start: UInt64, _ end: UInt64) {
        forEachPageWithTables(start, end) { page in releasePage(page, end) }
    }

    /// Unmaps the page at `page` and returns its frame: a whole large page at once when it
    /// starts there and ends by `end` (else the large page is split and one page goes). The
    /// bytes handled.
    private func releasePage(_ page: UInt64, _ end: UInt64) -> UInt64 {
        if page & (PageMapper.hugePageSize - 1) == 0, end - page >= PageMapper.hugePageSize, let frame = mapper.unmapHuge(page) {
            Frames.releaseHuge(frame)
            return PageMapper.hugePageSize
        }
        if let frame = mapper.unmap(page) { Frames.release(frame) }
        return AddressSpace.pageSize
    }

    /// Calls `body` for every page in [start, end) that a page table (or a large page) covers,
    /// skipping unmapped stretches a page-table level at a time (a huge PROT_NONE reservation
    /// costs nothing to walk); `body` returns how many bytes it handled (a large page: 2 MiB).
    /// The kernel heap's arena, which lies in the lower half, is never visited: no munmap or
    /// madvise of the program can free it.
    private func forEachPageWithTables(_ start: UInt64, _ end: UInt64, _ body: (UInt64) -> UInt64) {
        for (lower, upper) in AddressSpace.outsideKernelArena(start, end) {
            var page = lower
            while page < upper {
                if let skip = mapper.unmappedSpan(at: page) {
                    page = min(upper, (page & ~(skip - 1)) &+ skip)
                    continue
                }
                page += body(page)
            }
        }
    }

    /// [start, end) without the kernel heap's arena: at most two ranges.
    static func outsideKernelArena(_ start: UInt64, _ end: UInt64) -> [(UInt64, UInt64)] {
        var ranges: [(UInt64, UInt64)] = []
        if start < min(end, KernelHeap.arenaStart) { ranges.append((start, min(end, KernelHeap.arenaStart))) }
        if max(start, KernelHeap.arenaEnd) < end { ranges.append((max(start, KernelHeap.arenaEnd), end)) }
        return ranges
    }

    /// Linux's heuristic overcommit: refuse a private writable mapping larger
    /// than the memory that could ever back it (free frames now).
    func canCommit(_ length: UInt64, _ protection: Protection) -> Bool {
        guard protection.isWritable else { return true }
        return length / AddressSpace.pageSize <= UInt64(Frames.availableCount)
    }

    /// mremap: shrinks in place, grows in place when the pages after the
    /// mapping are free, or (when `mayMove`) moves the mapping's pages (their
    /// frames, not their bytes) to `destination` or to a new free range.
    /// Returns the new start, or the errno.
    mutating func remap(_ start: UInt64, oldLength: UInt64, newLength: UInt64, mayMove: Bool,
                        destination: UInt64?) -> Result<UInt64, Errno> {
        TLB.beginBatch()
        defer { TLB.endBatch() }
        let oldEnd = start + oldLength
        if destination == nil, newLength <= oldLength {
            // Shrinking unmaps the tail, across mappings as on Linux.
            guard isReserved(start, start + newLength) else { return .failure(.EFAULT) }
            unmap(start + newLength, oldEnd)
            return .success(start)
        }
        guard let index = regionIndex(containing: start) else { return .failure(.EFAULT) }
        // Adjacent regions alike in rights and kind are one mapping to Linux (one merged VMA).
        while regions[index].end < oldEnd, index + 1 < regions.count, regions[index].isContinued(by: regions[index + 1]) {
            regions[index].end = regions[index + 1].end
            regions.remove(at: index + 1)
        }
        guard regions[index].end >= oldEnd else { return .failure(.EFAULT) }
        var region = regions[index]
        if region.kind == .shared {
            // A shared mapping keeps its window's pages: it may move, not grow past its window.
            guard newLength <= oldLength else { return .failure(.ENOMEM) }
            region.backing = region.sharedFrame(start)
        }
        // The part of a file mapping that moves or grows keeps naming the file, at its offsets.
        let fileOffset = region.fileOffset &+ (start &- region.start)
        if destination == nil {
            if isFree(oldEnd, start + newLength), start + newLength <= PageMapper.lowerHalfEnd {
                insert(Region(start: oldEnd, end: start + newLength, protection: region.protection,
                              kind: region.kind == .image ? .anonymous : region.kind, name: region.name,
                              fileOffset: fileOffset &+ oldLength), merging: false)
                return .success(start)
            }
            guard mayMove else { return .failure(.ENOMEM) }
        }
        let target: UInt64
        if let destination {
            unmap(destination, destination + newLength)
            target = destination
        } else {
            guard let found = findFreeRange(length: newLength) else { return .failure(.ENOMEM) }
            target = found
        }
        insert(Region(start: target, end: target + newLength, protection: region.protection,
                      kind: region.kind == .image ? .anonymous : region.kind, backing: region.backing,
                      window: region.window, mayWrite: region.mayWrite, name: region.name,
                      fileOffset: fileOffset), merging: false)
        var offset: UInt64 = 0
        while offset < min(oldLength, newLength) {
            if let frame = mapper.unmap(start + offset) {
                guard mapper.map(target + offset, to: frame, region.protection) else { return .failure(.ENOMEM) }
            }
            offset += AddressSpace.pageSize
        }
        unmap(start, oldEnd)
        return .success(target)
    }

    /// Whether every page of [start, end) is reserved (for mincore).
    func isReserved(_ start: UInt64, _ end: UInt64) -> Bool {
        var cursor = start
        while cursor < end {
            guard let index = regionIndex(containing: cursor) else { return false }
            cursor = regions[index].end
        }
        return true
    }

    /// Reserves [start, start + length) for pages the kernel maps itself
    /// (never demand-filled), such as the vDSO.
    mutating func reserveKernelMapped(at start: UInt64, length: UInt64, protection: Protection) {
        insert(Region(start: start, end: start + length, protection: protection, kind: .image), merging: false)
    }

    /// Reserves an anonymous region; `start` nil picks the highest free
    /// range below the mmap top. Returns its start or nil when nothing fits.
    mutating func reserveAnonymous(at start: UInt64?, length: UInt64, protection: Protection,
                                   name: UInt16 = 0, fileOffset: UInt64 = 0) -> UInt64? {
        let base: UInt64
        if let start {
            base = start
        } else {
            guard let found = findFreeRange(length: length) else { return nil }
            base = found
        }
        insert(Region(start: base, end: base + length, protection: protection, kind: .anonymous, name: name,
                      fileOffset: fileOffset), merging: false)
        return base
    }

    /// The index `Region.name` uses for a file's name (0 for an empty name, or once
    /// `maximumNames` names are known: such mappings show no name).
    mutating func nameIndex(_ name: [UInt8]) -> UInt16 {
        guard !name.isEmpty else { return 0 }
        if let index = names.lastIndex(of: name) { return UInt16(index) }
        guard names.count < AddressSpace.maximumNames else { return 0 }
        names.append(name)
        return UInt16(names.count - 1)
    }

    /// Reserves a shared region over the window at `window` (its first page at guest-physical
    /// `backing`); pages are mapped on first touch.
    mutating func reserveShared(at start: UInt64, length: UInt64, protection: Protection, window: UInt64,
                                backing: UInt64, mayWrite: Bool, name: UInt16 = 0, fileOffset: UInt64 = 0) {
        insert(Region(start: start, end: start + length, protection: protection, kind: .shared, backing: backing,
                      window: window, mayWrite: mayWrite, name: name, fileOffset: fileOffset), merging: false)
    }

    /// Whether every shared region in [start, end) may become writable (mprotect adding PROT_WRITE).
    func mayBecomeWritable(_ start: UInt64, _ end: UInt64) -> Bool {
        !regions.contains { $0.kind == .shared && !$0.mayWrite && $0.overlaps(start, end) }
    }

    /// The shared regions' parts in [start, end): (window, offset in the window, length).
    func sharedParts(_ start: UInt64, _ end: UInt64) -> [(window: UInt64, offset: UInt64, length: UInt64)] {
        var parts: [(window: UInt64, offset: UInt64, length: UInt64)] = []
        for region in regions where region.kind == .shared && region.overlaps(start, end) {
            let lower = max(start, region.start), upper = min(end, region.end)
            parts.append((region.window, region.sharedFrame(lower) - region.window, upper - lower))
        }
        return parts
    }

    /// Highest free range of `length` bytes in [mmapBottom, mmapTop). A range of 2 MiB or
    /// more starts on a 2 MiB boundary, as Linux places large anonymous mappings, so that its
    /// blocks can be large pages.
    func findFreeRange(length: UInt64) -> UInt64? {
        var ceiling = mmapTop
        var index = regions.count - 1
        let alignment = length >= PageMapper.hugePageSize && AddressSpace.largePages ? PageMapper.hugePageSize : AddressSpace.pageSize
        while ceiling >= AddressSpace.mmapBottom + length {
            let candidate = (ceiling - length) & ~(alignment - 1)
            guard candidate >= AddressSpace.mmapBottom else { return nil }
            // The highest region starting below the ceiling bounds the gap.
            while index >= 0 && regions[index].start >= ceiling { index -= 1 }
            if index < 0 || regions[index].end <= candidate {
                return candidate
            }
            ceiling = regions[index].start
        }
        return nil
    }

    /// Changes the rights of [start, end); fails when part of it is unreserved.
    mutating func protect(_ start: UInt64, _ end: UInt64, _ protection: Protection) -> Bool {
        TLB.beginBatch()
        defer { TLB.endBatch() }
        var cursor = start
        while cursor < end {
            guard let index = regionIndex(containing: cursor) else { return false }
            cursor = regions[index].end
        }
        split(at: start)
        split(at: end)
        for index in regions.indices where regions[index].start >= start && regions[index].end <= end {
            regions[index].protection = protection
        }
        var page = start
        while page < end {
            mapper.protect(page, protection)
            page += AddressSpace.pageSize
        }
        return true
    }

    /// Moves the break like Linux's brk: returns the new break, or the old one on failure.
    mutating func setBreak(_ requested: UInt64) -> UInt64 {
        // A break past the mmap area (or so high its page rounding wraps) is refused, as Linux does.
        guard requested >= brkStart, requested <= mmapTop else { return brkCurrent }
        let oldEnd = AddressSpace.pageUp(brkCurrent)
        let newEnd = AddressSpace.pageUp(requested)
        if newEnd > oldEnd {
            guard newEnd <= mmapTop, isFree(oldEnd, newEnd),
                  canCommit(newEnd - oldEnd, .readWrite) else { return brkCurrent }
        }
        if newEnd < oldEnd {
            releasePages(newEnd, oldEnd)
        }
        regions.removeAll { $0.kind == .heap }
        if newEnd > brkStart {
            insert(Region(start: brkStart, end: newEnd, protection: .readWrite, kind: .heap), merging: false)
        }
        brkCurrent = requested
        return brkCurrent
    }
}
