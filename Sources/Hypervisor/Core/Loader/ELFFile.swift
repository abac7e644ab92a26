/// One ELF64 program header (`Elf64_Phdr`), as stored in the file.
public struct ProgramHeader: Equatable, Sendable {
    /// Position in the program header table, counting from 0; error messages name headers by it.
    public let index: Int
    public let type: UInt32  // p_type
    public let flags: UInt32  // p_flags
    public let offset: UInt64  // p_offset
    public let virtualAddress: UInt64  // p_vaddr
    public let physicalAddress: UInt64  // p_paddr
    public let fileSize: UInt64  // p_filesz
    public let memorySize: UInt64  // p_memsz
    public let alignment: UInt64  // p_align

    public init(
        index: Int, type: UInt32, flags: UInt32, offset: UInt64, virtualAddress: UInt64,
        physicalAddress: UInt64, fileSize: UInt64, memorySize: UInt64, alignment: UInt64
    ) {
        self.index = index
        self.type = type
        self.flags = flags
        self.offset = offset
        self.virtualAddress = virtualAddress
        self.physicalAddress = physicalAddress
        self.fileSize = fileSize
        self.memorySize = memorySize
        self.alignment = alignment
    }
}

/// A parsed ELF64 little-endian x86-64 file: its header and program headers.
///
/// Parsing only reads and checks; it has no memory effects. Section headers are never read,
/// so stripped binaries (no section header table at all) parse like any other.
/// `ApplicationImage` and `KernelImage` build on it and make the checks that depend on
/// what the file is loaded as.
///
/// Checks, in order: empty file, bad magic, truncated header, class, data encoding,
/// version, machine, type (`ET_EXEC` or `ET_DYN`), `e_phentsize`, program header count,
/// program header table inside the file.
public struct ELFFile: Sendable {
    /// Where the bytes came from; every error names it.
    public let path: String
    /// The whole file.
    public let bytes: FileBytes
    /// `e_type`: `ELF.typeExecutable` or `ELF.typeShared`.
    public let type: UInt16
    /// `e_entry`, as linked (no load bias).
    public let entry: UInt64
    /// `e_phoff`.
    public let programHeaderOffset: UInt64
    /// `e_phentsize` (always `ELF.programHeaderSize` once parsed).
    public let programHeaderEntrySize: UInt16
    /// Every program header, in file order (`e_phnum` of them).
    public let programHeaders: [ProgramHeader]

    /// `e_phnum`.
    public var programHeaderCount: UInt16 { UInt16(programHeaders.count) }

    /// Parses `bytes` as an ELF64 x86-64 executable or shared object; `path` is only for messages.
    public init(bytes: [UInt8], path: String) throws(ELFLoadError) {
        try self.init(contents: FileBytes(bytes), path: path)
    }

    /// Parses `bytes` (a mapped file, or an array) as `init(bytes:path:)` does.
    public init(contents bytes: FileBytes, path: String) throws(ELFLoadError) {
        self.path = path
        self.bytes = bytes
        if bytes.isEmpty {
            throw .emptyFile(path: path)
        }
        let prefix = Array(bytes.prefix(ELF.magic.count))
        if prefix != Array(ELF.magic.prefix(prefix.count)) {
            throw .badMagic(path: path, found: prefix)
        }
        if bytes.count < ELF.fileHeaderSize {
            throw .truncatedHeader(path: path, size: bytes.count)
        }
        let reader = LittleEndianReader(bytes: bytes)
        let elfClass = bytes[ELF.identClass]
        guard elfClass == ELF.classELF64 else {
            throw .wrongClass(path: path, elfClass: elfClass)
        }
        let encoding = bytes[ELF.identData]
        guard encoding == ELF.dataLittleEndian else {
            throw .wrongDataEncoding(path: path, encoding: encoding)
        }
        let identVersion = bytes[ELF.identVersion]
        let version = reader.uint32(at: 20)
        guard identVersion == ELF.versionCurrent, version == UInt32(ELF.versionCurrent) else {
            throw .wrongVersion(path: path, identVersion: identVersion, version: version)
        }
        let machine = reader.uint16(at: 18)
        guard machine == ELF.machineX86_64 else {
            throw .wrongMachine(path: path, machine: machine)
        }
        let type = reader.uint16(at: 16)
        guard type == ELF.typeExecutable || type == ELF.typeShared else {
            throw .unsupportedType(path: path, type: type)
        }
        self.type = type
        self.entry = reader.uint64(at: 24)
        let programHeaderOffset = reader.uint64(at: 32)
        self.programHeaderOffset = programHeaderOffset
        let entrySize = reader.uint16(at: 54)
        let count = reader.uint16(at: 56)
        // e_phentsize only matters when there are headers to read (gABI: 0 with no headers).
        guard entrySize == UInt16(ELF.programHeaderSize) || (count == 0 && entrySize == 0) else {
            throw .wrongProgramHeaderEntrySize(path: path, entrySize: entrySize)
        }
        self.programHeaderEntrySize = UInt16(ELF.programHeaderSize)
        guard Int(count) <= ELF.maxProgramHeaders else {
            throw .tooManyProgramHeaders(path: path, count: count, limit: ELF.maxProgramHeaders)
        }
        // count <= 128, so the table size cannot overflow; its end can.
        let tableSize = UInt64(count) * UInt64(ELF.programHeaderSize)
        let fileSize = UInt64(bytes.count)
        let (tableEnd, wraps) = programHeaderOffset.addingReportingOverflow(tableSize)
        if count > 0, wraps || tableEnd > fileSize {
            throw .programHeadersOutsideFile(
                path: path, offset: programHeaderOffset, count: count, fileSize: fileSize)
        }
        var headers: [ProgramHeader] = []
        headers.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            // In bounds: the whole table lies inside the file, checked above.
            let base = Int(programHeaderOffset) + index * ELF.programHeaderSize
            headers.append(
                ProgramHeader(
                    index: index,
                    type: reader.uint32(at: base),
                    flags: reader.uint32(at: base + 4),
                    offset: reader.uint64(at: base + 8),
                    virtualAddress: reader.uint64(at: base + 16),
                    physicalAddress: reader.uint64(at: base + 24),
                    fileSize: reader.uint64(at: base + 32),
                    memorySize: reader.uint64(at: base + 40),
                    alignment: reader.uint64(at: base + 48)))
        }
        self.programHeaders = headers
    }

    /// The `PT_LOAD` headers, in file order.
    public var loadHeaders: [ProgramHeader] {
        programHeaders.filter { $0.type == ELF.programLoad }
    }

    /// Throws if `header`'s file bytes `[p_offset, p_offset + p_filesz)` are not inside the file
    /// or `p_filesz > p_memsz`: the checks every loaded segment needs before its bytes are copied.
    func checkFileBytes(of header: ProgramHeader) throws(ELFLoadError) {
        let fileSize = UInt64(bytes.count)
        let (end, wraps) = header.offset.addingReportingOverflow(header.fileSize)
        if wraps || end > fileSize {
            throw .segmentOutsideFile(
                path: path, index: header.index, offset: header.offset,
                fileSizeInSegment: header.fileSize, fileSize: fileSize)
        }
        if header.fileSize > header.memorySize {
            throw .segmentFileSizeExceedsMemorySize(
                path: path, index: header.index, fileSizeInSegment: header.fileSize,
                memorySize: header.memorySize)
        }
    }

    /// The file bytes of a header that passed `checkFileBytes`.
    func fileBytes(of header: ProgramHeader) -> Slice<FileBytes> {
        let start = Int(header.offset)
        return bytes[start..<(start + Int(header.fileSize))]
    }
}

/// Reads little-endian integers at offsets the caller has already bounds-checked
/// (an out-of-range offset traps, as array subscripts do: a loader bug, not bad input).
struct LittleEndianReader {
    let bytes: FileBytes

    func uint16(at offset: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: value(at: offset, size: 2))
    }

    func uint32(at offset: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: value(at: offset, size: 4))
    }

    func uint64(at offset: Int) -> UInt64 {
        value(at: offset, size: 8)
    }

    private func value(at offset: Int, size: Int) -> UInt64 {
        var result: UInt64 = 0
        for byte in bytes[offset..<(offset + size)].reversed() {
            result = result << 8 | UInt64(byte)
        }
        return result
    }
}
