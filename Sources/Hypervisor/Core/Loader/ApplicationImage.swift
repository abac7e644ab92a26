/// The application: a static Linux x86-64 program, validated and planned for loading.
///
/// The plan is the application's whole virtual span
/// `[imageVirtualAddress, imageVirtualAddress + imageSize)` laid out flat, as
/// `unikernel_abi.h` describes: each segment's file bytes at `vaddr - imageVirtualAddress`,
/// zero everywhere else (so .bss is zero). The hypervisor places those bytes at
/// `app_image_phys` and passes `segments`, `entry` and the program header facts to the
/// kernel in `uk_boot_info`.
///
/// Checks, after `ELFFile`'s, in order: load bias page-aligned; no `PT_INTERP`; then for each
/// `PT_LOAD` in file order: file bytes inside the file, `p_filesz <= p_memsz`,
/// `p_vaddr % 4096 == p_offset % 4096`, no wrap-around, not below `ELF.minimumUserAddress`,
/// not reaching `ELF.userAddressLimit`; then at least one non-empty `PT_LOAD`, no overlap,
/// span within `maxImageSize`, entry inside a `PF_X` segment.
public struct ApplicationImage: Sendable {
    /// The parsed file the plan was made from.
    public let file: ELFFile
    /// `e_entry + loadBias`: AT_ENTRY and the first instruction the application runs.
    public let entry: UInt64
    /// Added to every address in the file: 0 for `ET_EXEC`, the chosen base for `ET_DYN`.
    public let loadBias: UInt64
    /// `ELF.typeExecutable` (`ET_EXEC`) or `ELF.typeShared` (`ET_DYN`, static-pie).
    public let elfType: UInt16
    /// AT_PHDR: `PT_PHDR`'s `p_vaddr + loadBias` if there is one, otherwise the address where the
    /// `PT_LOAD` whose file bytes contain the whole program header table maps it; 0 if none does.
    public let phdrVirtualAddress: UInt64
    /// AT_PHENT.
    public let programHeaderEntrySize: UInt16
    /// AT_PHNUM.
    public let programHeaderCount: UInt16
    /// The `PT_LOAD` segments with `p_memsz > 0`, in file order, load bias applied.
    /// (A `PT_LOAD` with `p_memsz == 0` maps nothing and is left out.)
    public let segments: [LoadSegment]
    /// The page-aligned start of the lowest segment.
    public let imageVirtualAddress: UInt64
    /// The page-aligned span from `imageVirtualAddress` to the end of the highest segment.
    public let imageSize: UInt64
    /// `PT_INTERP`'s path (without its NUL) when the program is dynamically linked and the
    /// caller allowed one; nil for a static program.
    public let interpreterPath: [UInt8]?

    /// Where the program break starts: the end of the image (Linux: the page-aligned end of
    /// the highest `PT_LOAD`).
    public var initialBreak: UInt64 { imageVirtualAddress + imageSize }

    /// Parses and checks `bytes` and plans the flat image.
    ///
    /// - Parameters:
    ///   - path: the program's path, used only in error messages.
    ///   - loadBias: the base for a static-pie (`ET_DYN`) program, page aligned (Linux picks
    ///     about 0x555555554000). Ignored for `ET_EXEC`, which always loads at its linked
    ///     addresses, so callers may pass their PIE base without looking at the file first.
    ///   - maxImageSize: the most bytes of guest memory the flat image may take.
    ///   - allowInterpreter: accept a `PT_INTERP` (a dynamically linked program, whose
    ///     interpreter the caller loads: `interpreterPath`) instead of refusing it.
    public static func plan(
        bytes: [UInt8], path: String, loadBias: UInt64, maxImageSize: UInt64, allowInterpreter: Bool = false
    ) throws(ELFLoadError) -> ApplicationImage {
        try plan(contents: FileBytes(bytes), path: path, loadBias: loadBias, maxImageSize: maxImageSize,
                 allowInterpreter: allowInterpreter)
    }

    /// Plans a mapped file (or array) as `plan(bytes:path:loadBias:maxImageSize:allowInterpreter:)` does.
    public static func plan(
        contents: FileBytes, path: String, loadBias: UInt64, maxImageSize: UInt64, allowInterpreter: Bool = false
    ) throws(ELFLoadError) -> ApplicationImage {
        let file = try ELFFile(contents: contents, path: path)
        return try ApplicationImage(file: file, loadBias: loadBias, maxImageSize: maxImageSize, allowInterpreter: allowInterpreter)
    }

    /// Plans an already parsed file; see `plan(bytes:path:loadBias:maxImageSize:)`.
    public init(file: ELFFile, loadBias requestedBias: UInt64, maxImageSize: UInt64,
                allowInterpreter: Bool = false) throws(ELFLoadError) {
        let path = file.path
        let bias = file.type == ELF.typeShared ? requestedBias : 0
        guard bias % ELF.pageSize == 0 else {
            throw .loadBiasNotPageAligned(path: path, loadBias: bias)
        }
        var interpreterPath: [UInt8]?
        if let interpreter = file.programHeaders.first(where: { $0.type == ELF.programInterpreter }) {
            // As Linux: the path is the segment's bytes up to a NUL, which must end them.
            guard allowInterpreter, let name = Self.interpreterBytes(interpreter, in: file) else {
                throw .dynamicallyLinked(
                    path: path, index: interpreter.index,
                    interpreter: Self.interpreterName(interpreter, in: file))
            }
            interpreterPath = name
        }

        var segments: [LoadSegment] = []
        for header in file.loadHeaders {
            try file.checkFileBytes(of: header)
            if header.virtualAddress % ELF.pageSize != header.offset % ELF.pageSize {
                throw .segmentOffsetNotCongruent(
                    path: path, index: header.index, virtualAddress: header.virtualAddress,
                    offset: header.offset)
            }
            let (start, startWraps) = header.virtualAddress.addingReportingOverflow(bias)
            let (end, endWraps) = start.addingReportingOverflow(header.memorySize)
            if startWraps || endWraps {
                throw .segmentAddressOverflow(
                    path: path, index: header.index, virtualAddress: header.virtualAddress,
                    memorySize: header.memorySize, loadBias: bias)
            }
            if start < ELF.minimumUserAddress {
                throw .segmentBelowMinimumAddress(path: path, index: header.index, start: start)
            }
            if end > ELF.userAddressLimit {
                throw .segmentInKernelHalf(path: path, index: header.index, start: start, end: end)
            }
            if header.memorySize == 0 { continue }
            segments.append(
                LoadSegment(
                    programHeaderIndex: header.index, virtualAddress: start,
                    memorySize: header.memorySize, fileSize: header.fileSize,
                    fileOffset: header.offset, flags: header.flags))
        }
        guard !segments.isEmpty else {
            throw .noLoadableSegment(path: path)
        }
        try segments.checkNoOverlap(path: path)

        // Every end is <= userAddressLimit, a page boundary, so rounding up cannot wrap.
        let lowest = segments.map(\.virtualAddress).min()!
        let highest = segments.map(\.endAddress).max()!
        let imageStart = ELF.pageAlignDown(lowest)
        let imageSize = ELF.pageAlignUp(highest)! - imageStart
        guard imageSize <= maxImageSize else {
            throw .imageTooLarge(path: path, size: imageSize, limit: maxImageSize)
        }

        let (entry, entryWraps) = file.entry.addingReportingOverflow(bias)
        guard !entryWraps, segments.contains(where: { $0.isExecutable && $0.contains(entry) }) else {
            throw .entryPointNotExecutable(path: path, entry: entry)
        }

        self.file = file
        self.entry = entry
        self.loadBias = bias
        self.elfType = file.type
        self.phdrVirtualAddress = try Self.programHeaderAddress(of: file, bias: bias)
        self.programHeaderEntrySize = file.programHeaderEntrySize
        self.programHeaderCount = file.programHeaderCount
        self.segments = segments
        self.imageVirtualAddress = imageStart
        self.imageSize = imageSize
        self.interpreterPath = interpreterPath
    }

    /// Writes the flat image: every segment's file bytes at `vaddr - imageVirtualAddress`,
    /// zero everywhere else. `destination.count` must be `imageSize`. `zeroed`: the destination
    /// holds only zeros already (fresh guest memory), so only the file bytes are written and
    /// the pages of .bss and gaps stay untouched until the program uses them.
    public func materialize(into destination: UnsafeMutableRawBufferPointer, zeroed: Bool = false) {
        precondition(
            UInt64(destination.count) == imageSize,
            "ApplicationImage.materialize: destination holds \(destination.count) bytes, the image \(imageSize)")
        if !zeroed { destination.initializeMemory(as: UInt8.self, repeating: 0) }
        // In bounds: planning checked the file ranges, and every segment lies inside the image
        // span by construction of imageVirtualAddress and imageSize.
        place(into: destination, mapPages: nil)
    }

    /// Places the flat image in `destination` (`imageSize` bytes, all zero), mapping the file's
    /// pages where it can (`FilePagePlacement`); returns the bytes mapped rather than copied.
    @discardableResult
    public func place(into destination: UnsafeMutableRawBufferPointer, mapPages: FilePagePlacement.PageMapper?) -> Int {
        precondition(
            UInt64(destination.count) == imageSize,
            "ApplicationImage.place: destination holds \(destination.count) bytes, the image \(imageSize)")
        let placed = segments.map {
            FilePagePlacement.Segment(destination: Int($0.virtualAddress - imageVirtualAddress), fileOffset: Int($0.fileOffset),
                                      fileSize: Int($0.fileSize), memorySize: Int($0.memorySize), writable: $0.isWritable)
        }
        return FilePagePlacement.place(placed, of: file.bytes, into: destination, mapPages: mapPages)
    }

    /// The flat image as a new array (for tests and small programs).
    public func materialized() -> [UInt8] {
        var image = [UInt8](repeating: 0, count: Int(imageSize))
        image.withUnsafeMutableBytes { materialize(into: $0) }
        return image
    }

    /// AT_PHDR, following Linux's `load_elf_binary`: `PT_PHDR` if present, else the
    /// `PT_LOAD` whose file bytes hold the program header table.
    private static func programHeaderAddress(of file: ELFFile, bias: UInt64) throws(ELFLoadError) -> UInt64 {
        if let table = file.programHeaders.first(where: { $0.type == ELF.programHeaderTable }) {
            let (address, wraps) = table.virtualAddress.addingReportingOverflow(bias)
            if wraps {
                throw .segmentAddressOverflow(
                    path: file.path, index: table.index, virtualAddress: table.virtualAddress,
                    memorySize: table.memorySize, loadBias: bias)
            }
            return address
        }
        let tableSize = UInt64(file.programHeaders.count) * UInt64(ELF.programHeaderSize)
        for header in file.loadHeaders where header.memorySize > 0 {
            // The file range was checked, so offset + fileSize does not wrap.
            guard file.programHeaderOffset >= header.offset,
                file.programHeaderOffset - header.offset <= header.fileSize,
                tableSize <= header.fileSize - (file.programHeaderOffset - header.offset)
            else { continue }
            // Inside a checked segment: vaddr + bias + (phoff - offset) < vaddr + bias + memsz.
            return header.virtualAddress + bias + (file.programHeaderOffset - header.offset)
        }
        return 0
    }

    /// `PT_INTERP`'s bytes in the file, or nil when they are not inside it.
    private static func interpreterSegment(_ header: ProgramHeader, in file: ELFFile) -> Slice<FileBytes>? {
        let (end, wraps) = header.offset.addingReportingOverflow(header.fileSize)
        guard !wraps, end <= UInt64(file.bytes.count), header.fileSize > 0 else { return nil }
        return file.bytes[Int(header.offset)..<Int(end)]
    }

    /// `PT_INTERP`'s path without its NUL: nil unless the bytes are inside the file, at most
    /// 4096, end with the one NUL they hold, and name something.
    private static func interpreterBytes(_ header: ProgramHeader, in file: ELFFile) -> [UInt8]? {
        guard let raw = interpreterSegment(header, in: file), raw.count >= 2, raw.count <= 4096,
              raw.last == 0, raw.firstIndex(of: 0) == raw.index(before: raw.endIndex) else { return nil }
        return Array(raw.dropLast())
    }

    /// The `PT_INTERP` string for the message, or a placeholder if it is not readable.
    /// Bytes outside printable ASCII become `?`, so the message stays one line whatever the file holds.
    private static func interpreterName(_ header: ProgramHeader, in file: ELFFile) -> String {
        guard let segment = interpreterSegment(header, in: file) else { return "<unreadable>" }
        let raw = segment.prefix(256).prefix { $0 != 0 }
            .map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }
        return String(decoding: raw, as: UTF8.self)
    }
}
