/// Function and object symbols from an ELF file's `.symtab`, to name the
/// faulting instruction in crash reports (nothing here is trusted for loading).
public struct ELFSymbols: Sendable {
    public struct Symbol: Equatable, Sendable {
        public var name: String
        public var address: UInt64
        public var size: UInt64
    }

    /// Symbols sorted by address.
    public let symbols: [Symbol]

    /// Reads `.symtab` and its string table; an empty list for stripped or malformed files.
    public init(elf bytes: FileBytes) {
        symbols = ELFSymbols.parse(bytes).sorted { $0.address < $1.address }
    }

    public init(elf bytes: [UInt8]) {
        self.init(elf: FileBytes(bytes))
    }

    /// The addresses of just the named symbols, without decoding any name (the hypervisor
    /// looks up a few kernel symbols at each start): each symbol's name is compared in place
    /// with the wanted ones, which mostly ends at its first byte. When a name appears twice,
    /// the later symbol wins.
    public static func addresses(of names: [String], in bytes: FileBytes) -> [String: UInt64] {
        let wanted = names.map { (name: $0, bytes: Array($0.utf8)) }
        var found: [String: UInt64] = [:]
        forEachSymbol(in: bytes) { buffer, start, value, _ in
            for candidate in wanted where candidate.bytes.count < buffer.count - start {
                let end = start + candidate.bytes.count
                if buffer[end] == 0, candidate.bytes.elementsEqual(UnsafeBufferPointer(rebasing: buffer[start..<end])) {
                    found[candidate.name] = value
                }
            }
        }
        return found
    }

    /// Every function and object symbol. Names are looked at in place (no copy) and become
    /// Strings only here: the kernel image has thousands of long mangled names.
    private static func parse(_ bytes: FileBytes) -> [Symbol] {
        var found: [Symbol] = []
        forEachSymbol(in: bytes) { buffer, start, value, size in
            let limit = min(buffer.count, start + 256)
            let stop = buffer[start..<limit].firstIndex(of: 0) ?? limit
            guard stop > start else { return }
            found.append(Symbol(name: String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<stop]), as: UTF8.self),
                                address: value, size: size))
        }
        return found
    }

    /// Calls `body` for each NOTYPE, OBJECT or FUNC symbol of `.symtab` with a nonzero value,
    /// with the whole file, the offset of the symbol's name in it (inside the file), its value
    /// and its size. Nothing for a stripped or malformed file.
    private static func forEachSymbol(in bytes: FileBytes,
                                      _ body: (_ buffer: UnsafeBufferPointer<UInt8>, _ nameStart: Int, _ value: UInt64, _ size: UInt64) -> Void) {
        bytes.withUnsafeBytes { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            func read<T: FixedWidthInteger>(_ type: T.Type, _ offset: UInt64) -> T? {
                let size = UInt64(MemoryLayout<T>.size)
                guard offset <= UInt64(buffer.count), size <= UInt64(buffer.count) - offset else { return nil }
                // SAFETY: offset + size lies inside the buffer (checked above); unaligned load.
                return T(littleEndian: UnsafeRawPointer(buffer.baseAddress! + Int(offset)).loadUnaligned(as: T.self))
            }
            guard buffer.count >= 64, buffer[0] == 0x7F, buffer[1] == 0x45, buffer[2] == 0x4C, buffer[3] == 0x46,
                  let sectionOffset = read(UInt64.self, 0x28), let entrySize = read(UInt16.self, 0x3A),
                  let count = read(UInt16.self, 0x3C), entrySize == 64 else { return }
            for index in 0..<UInt64(count) {
                let header = sectionOffset &+ index &* 64
                guard read(UInt32.self, header &+ 4) == 2, // SHT_SYMTAB
                      let tableOffset = read(UInt64.self, header &+ 0x18), let tableSize = read(UInt64.self, header &+ 0x20),
                      let link = read(UInt32.self, header &+ 0x28) else { continue }
                let stringHeader = sectionOffset &+ UInt64(link) &* 64
                guard let stringOffset = read(UInt64.self, stringHeader &+ 0x18),
                      let stringSize = read(UInt64.self, stringHeader &+ 0x20) else { continue }
                let end = tableOffset &+ min(tableSize, UInt64(buffer.count))
                guard end >= tableOffset else { continue }
                for symbol in stride(from: tableOffset, to: end, by: 24) {
                    guard let nameIndex = read(UInt32.self, symbol), let info = read(UInt8.self, symbol &+ 4),
                          let value = read(UInt64.self, symbol &+ 8), let size = read(UInt64.self, symbol &+ 16),
                          value != 0, info & 0xF <= 2, UInt64(nameIndex) < stringSize else { continue } // NOTYPE, OBJECT, FUNC
                    let (start, overflow) = stringOffset.addingReportingOverflow(UInt64(nameIndex))
                    guard !overflow, start < UInt64(buffer.count) else { continue }
                    body(buffer, Int(start), value, size)
                }
            }
        }
    }

    /// "name+0x12" for the symbol containing `address` (file addresses, load bias removed).
    public func describe(_ address: UInt64) -> String? {
        guard let symbol = symbols.last(where: { $0.address <= address }) else { return nil }
        let offset = address - symbol.address
        if symbol.size > 0, offset >= symbol.size, offset > 0x10000 { return nil }
        return offset == 0 ? symbol.name : "\(symbol.name)+0x\(String(offset, radix: 16))"
    }
}
