/// Builds ELF64 files byte by byte, so that tests can make a valid program and then break
/// exactly one field of it. Nothing here validates: wrong values are the point.
struct ELFBuilder {
    /// One `Elf64_Phdr`, written verbatim.
    struct Header {
        var type: UInt32
        var flags: UInt32
        var offset: UInt64
        var virtualAddress: UInt64
        var physicalAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
        var alignment: UInt64 = 0x1000

        /// A `PT_LOAD` whose physical address equals its virtual one (as `ld` writes for programs).
        static func load(
            flags: UInt32, offset: UInt64, virtualAddress: UInt64, fileSize: UInt64, memorySize: UInt64
        ) -> Header {
            Header(
                type: PT.load, flags: flags, offset: offset, virtualAddress: virtualAddress,
                physicalAddress: virtualAddress, fileSize: fileSize, memorySize: memorySize)
        }
    }

    /// `p_type` values used by the builders.
    enum PT {
        static let load: UInt32 = 1
        static let interp: UInt32 = 3
        static let phdr: UInt32 = 6
        static let tls: UInt32 = 7
        static let gnuStack: UInt32 = 0x6474_e551
    }

    /// `p_flags` values.
    enum PF {
        static let x: UInt32 = 1
        static let w: UInt32 = 2
        static let r: UInt32 = 4
    }

    var magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
    var elfClass: UInt8 = 2  // ELFCLASS64
    var dataEncoding: UInt8 = 1  // ELFDATA2LSB
    var identVersion: UInt8 = 1  // EV_CURRENT
    var type: UInt16 = 2  // ET_EXEC
    var machine: UInt16 = 62  // EM_X86_64
    var version: UInt32 = 1  // EV_CURRENT
    var entry: UInt64 = 0
    var programHeaderOffset: UInt64 = 64
    var programHeaderEntrySize: UInt16 = 56
    /// `e_phnum`; nil writes `headers.count`.
    var programHeaderCount: UInt16? = nil
    /// `e_shoff`, `e_shentsize`, `e_shnum`, `e_shstrndx`: 0 means "no section headers" (stripped).
    var sectionHeaderOffset: UInt64 = 0
    var sectionHeaderEntrySize: UInt16 = 0
    var sectionHeaderCount: UInt16 = 0
    var sectionNameIndex: UInt16 = 0
    var headers: [Header] = []
    /// Bytes placed at file offsets (segment contents, interpreter strings, ...).
    var contents: [(offset: Int, bytes: [UInt8])] = []
    /// Total file size; nil makes the file just long enough for the headers and `contents`.
    var fileSize: Int? = nil

    /// The `e_phoff` + headers byte count, for a first segment that maps the headers.
    var headersEnd: UInt64 { 64 + UInt64(headers.count) * 56 }

    /// The file.
    func bytes() -> [UInt8] {
        let tableEnd = Int(programHeaderOffset) + headers.count * 56
        let contentEnd = contents.map { $0.offset + $0.bytes.count }.max() ?? 0
        let size = fileSize ?? max(64, tableEnd, contentEnd)
        var out = [UInt8](repeating: 0, count: max(size, 64, tableEnd, contentEnd))

        func put(_ value: UInt64, size: Int, at offset: Int) {
            for i in 0..<size { out[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        out.replaceSubrange(0..<4, with: magic.prefix(4))
        out[4] = elfClass
        out[5] = dataEncoding
        out[6] = identVersion
        put(UInt64(type), size: 2, at: 16)
        put(UInt64(machine), size: 2, at: 18)
        put(UInt64(version), size: 4, at: 20)
        put(entry, size: 8, at: 24)
        put(programHeaderOffset, size: 8, at: 32)
        put(sectionHeaderOffset, size: 8, at: 40)
        put(0, size: 4, at: 48)  // e_flags
        put(64, size: 2, at: 52)  // e_ehsize
        put(UInt64(programHeaderEntrySize), size: 2, at: 54)
        put(UInt64(programHeaderCount ?? UInt16(headers.count)), size: 2, at: 56)
        put(UInt64(sectionHeaderEntrySize), size: 2, at: 58)
        put(UInt64(sectionHeaderCount), size: 2, at: 60)
        put(UInt64(sectionNameIndex), size: 2, at: 62)
        for (i, header) in headers.enumerated() {
            let base = Int(programHeaderOffset) + i * 56
            put(UInt64(header.type), size: 4, at: base)
            put(UInt64(header.flags), size: 4, at: base + 4)
            put(header.offset, size: 8, at: base + 8)
            put(header.virtualAddress, size: 8, at: base + 16)
            put(header.physicalAddress, size: 8, at: base + 24)
            put(header.fileSize, size: 8, at: base + 32)
            put(header.memorySize, size: 8, at: base + 40)
            put(header.alignment, size: 8, at: base + 48)
        }
        for (offset, bytes) in contents {
            out.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        return Array(out.prefix(size))
    }
}
