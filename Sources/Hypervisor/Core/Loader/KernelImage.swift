import UnikernelABI

extension ELF {
    /// `UK_KERNEL_VIRT_BASE`: the kernel runs at this address plus its physical address.
    public static let kernelVirtualBase: UInt64 = UK_KERNEL_VIRT_BASE
    /// `UK_KERNEL_PHYS_BASE`: the lowest guest-physical address the kernel image may use.
    public static let kernelPhysicalBase: UInt64 = UK_KERNEL_PHYS_BASE
    /// One past the highest guest-physical address the kernel image may use.
    public static let kernelPhysicalLimit: UInt64 = UK_KERNEL_PHYS_BASE + UK_KERNEL_MAX_SIZE
}

/// The unikernel's own image: an `ET_EXEC` ELF whose `PT_LOAD` segments are linked at
/// `UK_KERNEL_VIRT_BASE + phys`, with `p_paddr == p_vaddr - UK_KERNEL_VIRT_BASE`, all inside
/// the kernel window `[UK_KERNEL_PHYS_BASE, UK_KERNEL_PHYS_BASE + UK_KERNEL_MAX_SIZE)`.
///
/// The boot page tables map the first GiB of guest-physical memory at `UK_KERNEL_VIRT_BASE`,
/// so copying each segment to its physical address makes it appear at its linked address.
///
/// Checks, after `ELFFile`'s, in order: `ET_EXEC`; then for each `PT_LOAD` in file order: file
/// bytes inside the file, `p_filesz <= p_memsz`, no wrap-around, `p_paddr` matches `p_vaddr`,
/// physical range inside the kernel window; then at least one non-empty `PT_LOAD`, no
/// overlap, entry inside a `PF_X` segment. Other program header types are ignored.
public struct KernelImage: Sendable {
    /// The parsed file the plan was made from.
    public let file: ELFFile
    /// `e_entry`: the kernel's first instruction (a `UK_KERNEL_VIRT_BASE` address).
    public let entry: UInt64
    /// The `PT_LOAD` segments with `p_memsz > 0`, in file order, at their linked virtual addresses.
    public let segments: [LoadSegment]
    /// The lowest guest-physical address of any segment, rounded down to a page.
    public let physicalStart: UInt64
    /// The end of the highest segment in guest-physical memory, rounded up to a page:
    /// the first byte after the kernel (`kernel_phys_end`).
    public let physicalEnd: UInt64

    /// Parses and checks the kernel ELF; `path` is only used in error messages.
    public static func plan(bytes: [UInt8], path: String) throws(ELFLoadError) -> KernelImage {
        try KernelImage(file: ELFFile(bytes: bytes, path: path))
    }

    /// Plans a mapped file (or array); see `plan(bytes:path:)`.
    public static func plan(contents: FileBytes, path: String) throws(ELFLoadError) -> KernelImage {
        try KernelImage(file: ELFFile(contents: contents, path: path))
    }

    /// Plans an already parsed file; see `plan(bytes:path:)`.
    public init(file: ELFFile) throws(ELFLoadError) {
        let path = file.path
        guard file.type == ELF.typeExecutable else {
            throw .kernelNotExecutable(path: path, type: file.type)
        }
        var segments: [LoadSegment] = []
        for header in file.loadHeaders {
            try file.checkFileBytes(of: header)
            let (virtualEnd, wraps) = header.virtualAddress.addingReportingOverflow(header.memorySize)
            if wraps {
                throw .segmentAddressOverflow(
                    path: path, index: header.index, virtualAddress: header.virtualAddress,
                    memorySize: header.memorySize, loadBias: 0)
            }
            guard header.virtualAddress >= ELF.kernelVirtualBase,
                header.virtualAddress - ELF.kernelVirtualBase == header.physicalAddress
            else {
                throw .kernelSegmentAddressMismatch(
                    path: path, index: header.index, virtualAddress: header.virtualAddress,
                    physicalAddress: header.physicalAddress)
            }
            // virtualEnd did not wrap and paddr = vaddr - base, so neither does the physical end.
            let physicalEnd = virtualEnd - ELF.kernelVirtualBase
            guard header.physicalAddress >= ELF.kernelPhysicalBase, physicalEnd <= ELF.kernelPhysicalLimit else {
                throw .kernelSegmentOutsideWindow(
                    path: path, index: header.index, physicalStart: header.physicalAddress,
                    physicalEnd: physicalEnd)
            }
            if header.memorySize == 0 { continue }
            segments.append(
                LoadSegment(
                    programHeaderIndex: header.index, virtualAddress: header.virtualAddress,
                    memorySize: header.memorySize, fileSize: header.fileSize,
                    fileOffset: header.offset, flags: header.flags))
        }
        guard !segments.isEmpty else {
            throw .noLoadableSegment(path: path)
        }
        try segments.checkNoOverlap(path: path)
        guard segments.contains(where: { $0.isExecutable && $0.contains(file.entry) }) else {
            throw .entryPointNotExecutable(path: path, entry: file.entry)
        }
        self.file = file
        self.entry = file.entry
        self.segments = segments
        // Inside the window, whose limit is page aligned, so rounding up cannot wrap.
        self.physicalStart = ELF.pageAlignDown(segments.map(\.physicalAddress).min()!)
        self.physicalEnd = ELF.pageAlignUp(segments.map(\.physicalEndAddress).max()!)!
    }

    /// Copies every segment to its physical address in `guestPhysical`, a buffer that
    /// represents guest-physical memory from address 0, and zeroes each segment's bytes past
    /// `p_filesz` (.bss). Bytes between segments are left as they are (fresh guest memory is zero).
    /// `zeroed`: the buffer holds only zeros already (fresh guest memory), so the .bss is not
    /// written and its pages stay untouched until the kernel uses them.
    ///
    /// Throws `kernelExceedsGuestMemory` if the buffer ends before `physicalEnd`.
    public func write(into guestPhysical: UnsafeMutableRawBufferPointer, zeroed: Bool = false) throws(ELFLoadError) {
        try place(into: guestPhysical, mapPages: nil)
        guard !zeroed else { return }
        for segment in segments {
            // In bounds: every segment ends at or before physicalEnd <= guestPhysical.count.
            let fileEnd = Int(segment.physicalAddress + segment.fileSize)
            UnsafeMutableRawBufferPointer(rebasing: guestPhysical[fileEnd..<Int(segment.physicalEndAddress)])
                .initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// Places every segment in fresh, all-zero guest-physical memory (`guestPhysical`, from
    /// address 0), mapping the file's pages where it can (`FilePagePlacement`); returns the
    /// bytes mapped rather than copied. Throws `kernelExceedsGuestMemory` as `write` does.
    @discardableResult
    public func place(into guestPhysical: UnsafeMutableRawBufferPointer,
                      mapPages: FilePagePlacement.PageMapper?) throws(ELFLoadError) -> Int {
        guard physicalEnd <= UInt64(guestPhysical.count) else {
            throw .kernelExceedsGuestMemory(
                path: file.path, physicalEnd: physicalEnd, memorySize: UInt64(guestPhysical.count))
        }
        let placed = segments.map {
            FilePagePlacement.Segment(destination: Int($0.physicalAddress), fileOffset: Int($0.fileOffset),
                                      fileSize: Int($0.fileSize), memorySize: Int($0.memorySize), writable: $0.isWritable)
        }
        return FilePagePlacement.place(placed, of: file.bytes, into: guestPhysical, mapPages: mapPages)
    }
}

extension LoadSegment {
    /// For a kernel segment: its guest-physical address, `virtualAddress - UK_KERNEL_VIRT_BASE`.
    public var physicalAddress: UInt64 { virtualAddress &- ELF.kernelVirtualBase }
    /// For a kernel segment: one past its last guest-physical byte.
    public var physicalEndAddress: UInt64 { physicalAddress &+ memorySize }
}
