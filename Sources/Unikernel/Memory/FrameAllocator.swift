import UnikernelABI

/// Hands out 4 KiB physical frames from [free_phys_start, free_phys_end):
/// a bump pointer over never-used frames plus a stack of returned frames,
/// linked through their first word (reached via the direct map). 2 MiB frames (512
/// contiguous, aligned frames for a large page) come from their own stack of returned ones,
/// else from the bump pointer moved up to 2 MiB: the never-used frames it skips are the
/// `gap`, which 4 KiB allocations use up before the bump pointer moves again (so there is
/// never more than one gap).
///
/// Every frame handed out is zero, without zeroing on the allocation path:
/// never-used frames are zero because the host gives the guest zero-filled
/// memory and places nothing above free_phys_start, and returned frames are
/// zeroed when they are released, so the page-fault handler's allocation
/// path stays short.
struct FrameAllocator {
    private(set) var start: UInt64 = 0
    private(set) var end: UInt64 = 0
    private var next: UInt64 = 0
    private var freeList: UInt64 = 0  // physical address of the first returned frame; 0 = none
    private(set) var freeCount = 0
    private var hugeFreeList: UInt64 = 0  // the first returned 2 MiB frame; 0 = none
    private(set) var hugeFreeCount = 0
    /// Never-used frames the bump pointer skipped to align a 2 MiB frame: [gapStart, gapEnd).
    private var gapStart: UInt64 = 0
    private var gapEnd: UInt64 = 0
    static let hugeSize: UInt64 = 2 << 20
    static let framesPerHuge = Int(hugeSize / UK_PAGE_SIZE)

    init() {}

    init(start: UInt64, end: UInt64) {
        self.start = (start + UK_PAGE_SIZE - 1) & ~(UK_PAGE_SIZE - 1)
        self.end = end & ~(UK_PAGE_SIZE - 1)
        self.next = self.start
    }

    /// A zeroed frame, or nil when memory is exhausted.
    mutating func allocate() -> UInt64? {
        let frame: UInt64
        if freeList != 0 {
            frame = freeList
            // SAFETY: frames on the free list hold the next link in their first word
            // and are zero elsewhere (see `release`); clear the link.
            freeList = DirectMap.pointer(frame).load(as: UInt64.self)
            DirectMap.pointer(frame).storeBytes(of: 0, as: UInt64.self)
            freeCount -= 1
        } else if gapStart < gapEnd {
            frame = gapStart
            gapStart += UK_PAGE_SIZE
        } else if next < end {
            frame = next
            next += UK_PAGE_SIZE
        } else {
            return nil
        }
        return frame
    }

    /// `pages` physically contiguous zeroed frames (from the bump range only).
    mutating func allocateContiguous(pages: Int) -> UInt64? {
        let size = UInt64(pages) * UK_PAGE_SIZE
        guard next + size <= end else { return nil }
        let frame = next
        next += size
        return frame
    }

    /// A zeroed, 2 MiB-aligned run of 512 frames, or nil when none is left.
    mutating func allocateHuge() -> UInt64? {
        if hugeFreeList != 0 {
            let frame = hugeFreeList
            // SAFETY: a returned 2 MiB frame holds the next link in its first word and is zero elsewhere.
            hugeFreeList = DirectMap.pointer(frame).load(as: UInt64.self)
            DirectMap.pointer(frame).storeBytes(of: 0, as: UInt64.self)
            hugeFreeCount -= 1
            return frame
        }
        let aligned = (next + FrameAllocator.hugeSize - 1) & ~(FrameAllocator.hugeSize - 1)
        guard aligned <= end, end - aligned >= FrameAllocator.hugeSize, gapStart == gapEnd || aligned == next else { return nil }
        if aligned > next {
            gapStart = next
            gapEnd = aligned
        }
        next = aligned + FrameAllocator.hugeSize
        return aligned
    }

    /// Returns a 2 MiB frame from `allocateHuge` whole: zeroed for its next owner.
    mutating func releaseHuge(_ frame: UInt64) {
        guard frame >= start, frame < end, frame & (FrameAllocator.hugeSize - 1) == 0 else { return }
        // SAFETY: the caller no longer maps any page of it: zero it, then its first word becomes the link.
        DirectMap.pointer(frame).initializeMemory(as: UInt8.self, repeating: 0, count: Int(FrameAllocator.hugeSize))
        DirectMap.pointer(frame).storeBytes(of: hugeFreeList, as: UInt64.self)
        hugeFreeList = frame
        hugeFreeCount += 1
    }

    /// Returns a frame; frames outside the allocator's range (the application
    /// image) are ignored.
    mutating func release(_ frame: UInt64) {
        guard frame >= start, frame < end, frame & (UK_PAGE_SIZE - 1) == 0 else { return }
        // SAFETY: the caller no longer maps the frame: zero it for its next
        // owner, then its first word becomes the link.
        DirectMap.pointer(frame).initializeMemory(as: UInt8.self, repeating: 0, count: Int(UK_PAGE_SIZE))
        DirectMap.pointer(frame).storeBytes(of: freeList, as: UInt64.self)
        freeList = frame
        freeCount += 1
    }

    /// Moves the end up to `newEnd` (RAM the host added right after the old end).
    mutating func extend(to newEnd: UInt64) {
        let aligned = newEnd & ~(UK_PAGE_SIZE - 1)
        if aligned > end { end = aligned }
    }

    /// Frames handed out and not returned.
    var usedCount: Int { Int((next - start) / UK_PAGE_SIZE) - idleCount }

    /// Frames still available.
    var availableCount: Int { Int((end - next) / UK_PAGE_SIZE) + idleCount }

    /// Frames below the bump pointer that are not handed out: returned ones and the gap.
    private var idleCount: Int { freeCount + hugeFreeCount * FrameAllocator.framesPerHuge + Int((gapEnd - gapStart) / UK_PAGE_SIZE) }
}

/// The kernel's one frame allocator, over RAM that grows on demand: when the allocator runs
/// dry, the host adds RAM after its end (UK_PROC_GROW_MEMORY) until `limit`, the most the
/// guest may have, and the kernel maps the new RAM into the direct map.
enum Frames {
    static var allocator = FrameAllocator()
    /// The end of RAM the host will not go past (uk_boot_info.memory_size).
    static var limit: UInt64 = 0

    /// A zeroed frame; when none is left, more RAM is asked for, then frames waiting for
    /// other vCPUs' TLB flushes are waited for and taken.
    static func allocate() -> UInt64? {
        if let frame = allocator.allocate() { return frame }
        if grow(atLeast: UK_PAGE_SIZE), let frame = allocator.allocate() { return frame }
        TLB.drainQuarantine()
        return allocator.allocate()
    }

    static func allocateContiguous(pages: Int) -> UInt64? {
        if let frame = allocator.allocateContiguous(pages: pages) { return frame }
        guard grow(atLeast: UInt64(pages) * UK_PAGE_SIZE) else { return nil }
        return allocator.allocateContiguous(pages: pages)
    }

    /// Returns a frame: at once, or after the TLB shootdown when other vCPUs may still reach it.
    static func release(_ frame: UInt64) {
        if TLB.deferRelease(frame) { return }
        allocator.release(frame)
    }

    /// A zeroed 2 MiB frame (asking the host for more RAM when needed), or nil: the caller
    /// then maps 4 KiB pages.
    static func allocateHuge() -> UInt64? {
        if let frame = allocator.allocateHuge() { return frame }
        guard grow(atLeast: 2 * FrameAllocator.hugeSize) else { return nil }
        return allocator.allocateHuge()
    }

    /// Returns a 2 MiB frame whole, as `release` does a frame.
    static func releaseHuge(_ frame: UInt64) {
        if TLB.deferRelease(frame | TLB.hugeFrameTag) { return }
        allocator.releaseHuge(frame)
    }

    /// Releases a frame that waited in the TLB quarantine (a 2 MiB one carries the tag).
    static func releaseQuarantined(_ tagged: UInt64) {
        if tagged & TLB.hugeFrameTag != 0 { allocator.releaseHuge(tagged & ~TLB.hugeFrameTag) } else { allocator.release(tagged) }
    }

    /// Frames available now or on demand (what the overcommit check and sysinfo count).
    static var availableCount: Int {
        allocator.availableCount + Int((limit > allocator.end ? limit - allocator.end : 0) / UK_PAGE_SIZE)
    }

    /// Asks the host for at least `bytes` more RAM; whether the allocator got any.
    private static func grow(atLeast bytes: UInt64) -> Bool {
        guard allocator.end < limit else { return false }
        let end = Hypercall.growMemory(atLeast: bytes)
        guard end > 0, UInt64(end) > allocator.end, UInt64(end) <= limit else { return false }
        DirectMap.extend(from: allocator.end, to: UInt64(end))
        allocator.extend(to: UInt64(end))
        return true
    }
}
