/// One reserved range of the application's address space (Linux's VMA):
/// what it is for, its protection, and where its pages come from.
struct Region {
    /// Where a region's pages come from. (A struct, not an enum: a payload-free
    /// enum is implicitly Hashable, which drags Hasher's random seeding into
    /// the Embedded image.)
    struct Kind: Equatable {
        let code: UInt8
        /// The application's ELF segments, mapped eagerly from the flat image.
        static let image = Kind(code: 0)
        /// The brk heap: zero-filled on first touch.
        static let heap = Kind(code: 1)
        /// The main thread's stack: zero-filled on first touch.
        static let stack = Kind(code: 2)
        /// An anonymous mmap: zero-filled on first touch.
        static let anonymous = Kind(code: 3)
        /// A MAP_SHARED mapping: the pages of a host window (SharedWindows), mapped on first touch.
        static let shared = Kind(code: 4)
    }

    var start: UInt64
    var end: UInt64
    var protection: Protection
    var kind: Kind
    /// For `.shared`: the guest-physical address of the page at `start`, and the window's base.
    var backing: UInt64 = 0
    var window: UInt64 = 0
    /// For `.shared`: whether PROT_WRITE may be added (a file opened read-only: no, as Linux's EACCES).
    var mayWrite = true
    /// The file mapped here, as an index into `AddressSpace.names` (0: none, anonymous memory).
    var name: UInt16 = 0
    /// The offset in that file of the page at `start` (/proc/<pid>/maps' third column).
    var fileOffset: UInt64 = 0

    /// Whether `next`, starting at this region's end, is the rest of the same mapping: Linux
    /// would hold both in one VMA (same rights, kind, file and contiguous offsets or frames).
    func isContinued(by next: Region) -> Bool {
        next.start == end && next.protection == protection && next.kind == kind && next.name == name
            && (name == 0 || next.fileOffset == fileOffset &+ (end &- start))
            && (kind != .shared || next.backing == sharedFrame(end))
    }

    /// The frame behind `page` of a `.shared` region.
    func sharedFrame(_ page: UInt64) -> UInt64 { backing + (page - start) }

    func contains(_ address: UInt64) -> Bool { address >= start && address < end }
    func overlaps(_ lower: UInt64, _ upper: UInt64) -> Bool { start < upper && lower < end }
}

/// What a page fault tried to do, decoded from the #PF error code.
struct PageFaultAccess {
    var present: Bool
    var write: Bool
    var instructionFetch: Bool

    init(errorCode: UInt64) {
        present = errorCode & 1 != 0
        write = errorCode & 2 != 0
        instructionFetch = errorCode & 16 != 0
    }

    init(write: Bool) {
        present = false
        self.write = write
        instructionFetch = false
    }
}
