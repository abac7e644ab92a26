import UnikernelABI

/// The kernel heap behind the Embedded Swift runtime's posix_memalign/free:
/// power-of-two size classes (32 B ... 32 KiB) carved from 64 KiB chunks of
/// contiguous frames, each class with its own free list; bigger requests get
/// whole contiguous frames. A 16-byte header before every payload records
/// the block start and its class, so `free` never guesses.
enum KernelHeap {
    private static let headerSize = 16
    private static let minimumShift = 5
    private static let classCount = 11  // 32 << 10 = 32 KiB
    private static let chunkPages = 16
    /// The heap's virtual range. Embedded Swift skips reference counting for
    /// objects at "negative" addresses (top bit set), so heap objects must
    /// live in the lower half: this range sits above the highest mmap address
    /// (AddressSpace.mmapTop) and below the stack, where Linux places nothing,
    /// and is mapped supervisor-only where the kernel runs at CPL0 (Platform).
    static let arenaStart: UInt64 = UK_KERNEL_ARENA_START
    static let arenaEnd: UInt64 = UK_KERNEL_ARENA_END
    private static var arenaNext: UInt64 = arenaStart

    /// Whether [start, end) touches the arena: no system call may map, unmap, read or write there.
    static func overlapsArena(_ start: UInt64, _ end: UInt64) -> Bool {
        start < end && end > arenaStart && start < arenaEnd
    }
    /// The page-table root (boot_info.pml4_phys), set before the first allocation.
    static var root: UInt64 = 0
    private static let largeTag: UInt64 = 1 << 32

    private static var freeLists: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                   UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private static var chunkNext: UInt64 = 0
    private static var chunkEnd: UInt64 = 0

    private static func freeListHead(_ index: Int) -> UInt64 {
        // SAFETY: index < classCount, the tuple's arity; the tuple is homogeneous.
        withUnsafeMutablePointer(to: &freeLists) {
            $0.withMemoryRebound(to: UInt64.self, capacity: classCount) { $0[index] }
        }
    }

    private static func setFreeListHead(_ index: Int, _ value: UInt64) {
        // SAFETY: as in freeListHead.
        withUnsafeMutablePointer(to: &freeLists) {
            $0.withMemoryRebound(to: UInt64.self, capacity: classCount) { $0[index] = value }
        }
    }

    /// Allocates `size` bytes aligned to `alignment` (a power of two); nil when out of memory.
    static func allocate(size: Int, alignment: Int) -> UInt64? {
        let align = max(alignment, 16)
        let needed = size + headerSize + (align > 16 ? align : 0)
        var blockStart: UInt64
        var tag: UInt64
        if let index = classIndex(for: needed) {
            let head = freeListHead(index)
            if head != 0 {
                blockStart = head
                // SAFETY: a free block holds the next link in its first word.
                setFreeListHead(index, UnsafeMutableRawPointer(bitPattern: UInt(head))!.load(as: UInt64.self))
            } else {
                let blockSize = UInt64(1) << (minimumShift + index)
                if chunkNext + blockSize > chunkEnd {
                    guard let chunk = mapChunk() else { return nil }
                    chunkNext = chunk
                    chunkEnd = chunk + UInt64(chunkPages) * UK_PAGE_SIZE
                }
                blockStart = chunkNext
                chunkNext += blockSize
            }
            tag = UInt64(index)
        } else {
            let pages = (needed + Int(UK_PAGE_SIZE) - 1) / Int(UK_PAGE_SIZE)
            guard let start = mapPages(pages) else { return nil }
            blockStart = start
            tag = largeTag | UInt64(pages)
        }
        let payload = (blockStart + UInt64(headerSize) + UInt64(align) - 1) & ~(UInt64(align) - 1)
        // SAFETY: payload - 16 ≥ blockStart and the header lies inside the block.
        let header = UnsafeMutableRawPointer(bitPattern: UInt(payload - 16))!
        header.storeBytes(of: blockStart, as: UInt64.self)
        header.storeBytes(of: tag, toByteOffset: 8, as: UInt64.self)
        return payload
    }

    /// Returns a block obtained from `allocate`.
    static func release(_ payload: UInt64) {
        // SAFETY: `payload` came from allocate, which wrote the header before it.
        let header = UnsafeMutableRawPointer(bitPattern: UInt(payload - 16))!
        let blockStart = header.load(as: UInt64.self)
        let tag = header.load(fromByteOffset: 8, as: UInt64.self)
        if tag & largeTag != 0 {
            // Large blocks keep their virtual range (the arena is big enough
            // for a kernel that rarely makes them) but return their frames.
            let mapper = PageMapper(root: root)
            for page in 0..<(tag & 0xFFFF_FFFF) {
                if let frame = mapper.unmap(blockStart + page * UK_PAGE_SIZE) { Frames.release(frame) }
            }
            return
        }
        let index = Int(tag)
        guard index < classCount else { kernelPanic("heap: free of a corrupt block") }
        // SAFETY: the block is no longer used by its owner; its first word becomes the link.
        UnsafeMutableRawPointer(bitPattern: UInt(blockStart))!.storeBytes(of: freeListHead(index), as: UInt64.self)
        setFreeListHead(index, blockStart)
    }

    /// Maps `pages` fresh frames at the next arena address.
    private static func mapPages(_ pages: Int) -> UInt64? {
        let size = UInt64(pages) * UK_PAGE_SIZE
        guard root != 0, arenaNext + size <= arenaEnd else { return nil }
        let mapper = PageMapper(root: root)
        let start = arenaNext
        for page in 0..<UInt64(pages) {
            guard let frame = Frames.allocate(),
                  mapper.map(start + page * UK_PAGE_SIZE, to: frame, .readWrite,
                             user: Platform.kernelPagesUserAccessible) else { return nil }
        }
        arenaNext += size
        return start
    }

    private static func mapChunk() -> UInt64? { mapPages(chunkPages) }

    private static func classIndex(for size: Int) -> Int? {
        var index = 0
        while index < classCount {
            if size <= 1 << (minimumShift + index) { return index }
            index += 1
        }
        return nil
    }
}

/// posix_memalign for the Embedded Swift runtime (reached via runtime.S).
@_cdecl("uk_heap_posix_memalign")
func heapPosixMemalign(_ out: UnsafeMutablePointer<UInt64>, _ alignment: Int, _ size: Int) -> Int32 {
    guard let block = KernelHeap.allocate(size: size, alignment: alignment) else { return 12 }  // ENOMEM
    // SAFETY: the runtime passes a valid pointer to its result slot.
    out.pointee = block
    return 0
}

/// free for the Embedded Swift runtime (reached via runtime.S).
@_cdecl("uk_heap_free")
func heapFree(_ pointer: UInt64) {
    if pointer != 0 { KernelHeap.release(pointer) }
}
