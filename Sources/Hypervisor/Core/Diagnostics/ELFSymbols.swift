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
    public init(elf bytes: [UInt8]) {
        symbols = ELFSymbols.parse(bytes).sorted { $0.address < $1.address }
    }

    /// The addresses of just the named symbols, without decoding every name
    /// (the hypervisor looks up a few kernel symbols at each start).
    public static func addresses(of names: [String], in bytes: [UInt8]) -> [String: UInt64] {
        let wanted = Dictionary(uniqueKeysWithValues: names.map { (Array($0.utf8), $0) })
        var found: [String: UInt64] = [:]
        for symbol in parse(bytes, keep: { wanted[$0] != nil }) {
            found[symbol.name] = symbol.address
        }
        return found
    }

    private static func parse(_ bytes: [UInt8], keep: ([UInt8]) -> Bool = { _ in true }) -> [Symbol] {
        func read<T: FixedWidthInteger>(_ type: T.Type, _ offset: UInt64) -> T? {
            let size = UInt64(MemoryLayout<T>.size)
            guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else { return nil }
            var value: T = 0
            for i in 0..<Int(size) { value |= T(bytes[Int(offset) + i]) << (8 * i) }
            return value
        }
        var found: [Symbol] = []
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46],
              let sectionOffset = read(UInt64.self, 0x28), let entrySize = read(UInt16.self, 0x3A),
              let count = read(UInt16.self, 0x3C), entrySize == 64 else { return [] }
        for index in 0..<UInt64(count) {
            let header = sectionOffset &+ index &* 64
            guard read(UInt32.self, header &+ 4) == 2, // SHT_SYMTAB
                  let tableOffset = read(UInt64.self, header &+ 0x18), let tableSize = read(UInt64.self, header &+ 0x20),
                  let link = read(UInt32.self, header &+ 0x28) else { continue }
            let stringHeader = sectionOffset &+ UInt64(link) &* 64
            guard let stringOffset = read(UInt64.self, stringHeader &+ 0x18),
                  let stringSize = read(UInt64.self, stringHeader &+ 0x20) else { continue }
            let end = tableOffset &+ min(tableSize, UInt64(bytes.count))
            guard end >= tableOffset else { continue }
            for symbol in stride(from: tableOffset, to: end, by: 24) {
                guard let nameIndex = read(UInt32.self, symbol), let info = read(UInt8.self, symbol &+ 4),
                      let value = read(UInt64.self, symbol &+ 8), let size = read(UInt64.self, symbol &+ 16),
                      value != 0, info & 0xF <= 2, UInt64(nameIndex) < stringSize else { continue } // NOTYPE, OBJECT, FUNC
                var name: [UInt8] = []
                var cursor = stringOffset &+ UInt64(nameIndex)
                while let byte = read(UInt8.self, cursor), byte != 0, name.count < 256 {
                    name.append(byte)
                    cursor &+= 1
                }
                if !name.isEmpty, keep(name) {
                    found.append(Symbol(name: String(decoding: name, as: UTF8.self), address: value, size: size))
                }
            }
        }
        return found
    }

    /// "name+0x12" for the symbol containing `address` (file addresses, load bias removed).
    public func describe(_ address: UInt64) -> String? {
        guard let symbol = symbols.last(where: { $0.address <= address }) else { return nil }
        let offset = address - symbol.address
        if symbol.size > 0, offset >= symbol.size, offset > 0x10000 { return nil }
        return offset == 0 ? symbol.name : "\(symbol.name)+0x\(String(offset, radix: 16))"
    }
}
