import UnikernelABI

/// One `PT_LOAD` segment as it will sit in the guest: addresses final (load bias applied
/// for an application, linked virtual addresses for the kernel).
public struct LoadSegment: Equatable, Sendable {
    /// The segment's program header index in the file, for messages.
    public let programHeaderIndex: Int
    /// First byte in memory: `p_vaddr + load bias`.
    public let virtualAddress: UInt64
    /// `p_memsz`: bytes in memory; those past `fileSize` are zero (.bss).
    public let memorySize: UInt64
    /// `p_filesz`: bytes copied from the file.
    public let fileSize: UInt64
    /// `p_offset`: where the copied bytes start in the file.
    public let fileOffset: UInt64
    /// `p_flags`: `ELF.flagExecute` | `ELF.flagWrite` | `ELF.flagRead`.
    public let flags: UInt32

    public init(
        programHeaderIndex: Int, virtualAddress: UInt64, memorySize: UInt64, fileSize: UInt64,
        fileOffset: UInt64, flags: UInt32
    ) {
        self.programHeaderIndex = programHeaderIndex
        self.virtualAddress = virtualAddress
        self.memorySize = memorySize
        self.fileSize = fileSize
        self.fileOffset = fileOffset
        self.flags = flags
    }

    /// One past the last byte in memory (never wraps: the planners checked it).
    public var endAddress: UInt64 { virtualAddress + memorySize }

    public var isExecutable: Bool { flags & ELF.flagExecute != 0 }
    public var isWritable: Bool { flags & ELF.flagWrite != 0 }
    public var isReadable: Bool { flags & ELF.flagRead != 0 }

    /// Whether `address` lies in `[virtualAddress, endAddress)`.
    public func contains(_ address: UInt64) -> Bool {
        address >= virtualAddress && address - virtualAddress < memorySize
    }

    /// The boot-info table entry the kernel reads (`uk_segment`).
    public var abiSegment: uk_segment {
        uk_segment(
            vaddr: virtualAddress, memsz: memorySize, filesz: fileSize, flags: flags, reserved: 0)
    }
}

extension [LoadSegment] {
    /// Throws `segmentsOverlap` if two segments share a byte of memory. Segments may share
    /// a page (a linker often starts .data in the page where .text ends), just not bytes.
    /// If several pairs overlap, the pair with the lowest start addresses is reported,
    /// naming the later program header first.
    func checkNoOverlap(path: String) throws(ELFLoadError) {
        let sorted = self.sorted {
            ($0.virtualAddress, $0.programHeaderIndex) < ($1.virtualAddress, $1.programHeaderIndex)
        }
        // Sorted by start, some pair overlaps exactly when some neighbouring pair does.
        for (lower, upper) in zip(sorted, sorted.dropFirst()) where upper.virtualAddress < lower.endAddress {
            let (first, second) =
                lower.programHeaderIndex < upper.programHeaderIndex ? (lower, upper) : (upper, lower)
            throw .segmentsOverlap(
                path: path, index: second.programHeaderIndex, start: second.virtualAddress,
                end: second.endAddress, otherIndex: first.programHeaderIndex,
                otherStart: first.virtualAddress, otherEnd: first.endAddress)
        }
    }
}
