/// Translates guest-virtual addresses the way the MMU would, by reading the
/// guest's own page tables through bounds-checked guest memory. Used for
/// diagnostics (instruction bytes at a faulting RIP, --trace arguments) and
/// to gate the user-memory hypercalls: a transfer into or out of application
/// memory needs every page present and user-accessible (writable for reads
/// into it), as the application itself would.
public struct GuestPageWalk {
    let memory: GuestMemory
    /// The guest's CR3.
    let root: UInt64

    public init(memory: GuestMemory, root: UInt64) {
        self.memory = memory
        self.root = root & PageTableEntry.addressMask
    }

    /// What an access needs from the page-table entries on the way.
    public struct Access: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Every level must allow writes (R/W = 1).
        public static let write = Access(rawValue: 1)
        /// Every level must allow user-mode access (U/S = 1).
        public static let user = Access(rawValue: 2)
    }

    /// The guest-physical address `virtualAddress` maps to, or nil if it is
    /// unmapped or the mapping does not grant `access`.
    public func translate(_ virtualAddress: UInt64, access: Access = []) -> UInt64? {
        switch leaf(of: virtualAddress, access: access) {
        case nil:
            return nil
        case let .page(physical, _):
            return physical
        case let .table(table):
            let slot = table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: 1))
            guard let raw = try? memory.load(UInt64.self, at: slot) else { return nil }
            return GuestPageWalk.leafAddress(raw, of: virtualAddress, access: access)
        }
    }

    /// The guest-physical ranges backing `[virtualAddress, virtualAddress + length)`,
    /// merged where contiguous, up to the first page that does not grant `access`.
    /// The upper levels are walked once per 2 MiB; the pages under one level-1 table are read
    /// from that table in order (a 1 MiB transfer: one walk, 256 entries), with the checks
    /// `translate` makes at every level.
    public func ranges(_ virtualAddress: UInt64, length: UInt64, access: Access) -> [GuestRange] {
        var result: [GuestRange] = []
        var address = virtualAddress
        var remaining = length
        /// Appends `[physical, physical + count)` (bounds-checked); false when outside memory.
        func append(_ physical: UInt64, _ count: UInt64) -> Bool {
            guard (try? memory.check(physical, length: count)) != nil else { return false }
            if let last = result.last, last.address + last.length == physical {
                result[result.count - 1].length += count
            } else {
                result.append(GuestRange(address: physical, length: count))
            }
            return true
        }
        /// Moves past `count` bytes; false at the top of the address space.
        func advance(_ count: UInt64) -> Bool {
            let (next, overflow) = address.addingReportingOverflow(count)
            if overflow { return false }
            address = next
            remaining -= count
            return true
        }
        walk: while remaining > 0 {
            switch leaf(of: address, access: access) {
            case nil:
                break walk
            case let .page(physical, size):
                let count = min(remaining, size - (address & (size - 1)))
                guard append(physical, count), advance(count) else { break walk }
            case let .table(table):
                // The level-1 entries from this address's to the table's end (or the range's).
                repeat {
                    let slot = table + 8 * UInt64(BootPageTables.index(of: address, level: 1))
                    guard let raw = try? memory.load(UInt64.self, at: slot),
                          let physical = GuestPageWalk.leafAddress(raw, of: address, access: access) else { break walk }
                    let count = min(remaining, 4096 - (address & 0xFFF))
                    guard append(physical, count), advance(count) else { break walk }
                } while remaining > 0 && BootPageTables.index(of: address, level: 1) != 0
            }
        }
        return result
    }

    /// Where the walk of an address ends above level 1.
    enum Leaf: Equatable {
        /// The level-1 table (guest-physical) holding the address's entry.
        case table(UInt64)
        /// A large page: the address's guest-physical translation and the page's size.
        case page(UInt64, size: UInt64)
    }

    /// Walks levels 4 to 2 for `virtualAddress`, checking `access` on each entry; nil when
    /// an entry is absent or refuses the access.
    func leaf(of virtualAddress: UInt64, access: Access) -> Leaf? {
        var table = root
        for level in stride(from: 4, through: 2, by: -1) {
            let slot = table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: level))
            guard let raw = try? memory.load(UInt64.self, at: slot), GuestPageWalk.grants(raw, access) else { return nil }
            let entry = PageTableEntry(rawValue: raw)
            if level <= 3 && raw & PageTableEntry.hugePage != 0 {
                let size = UInt64(1) << UInt64(12 + 9 * (level - 1))
                return .page((entry.physicalAddress & ~(size - 1)) | (virtualAddress & (size - 1)), size: size)
            }
            table = entry.physicalAddress
        }
        return .table(table)
    }

    /// The translation of `virtualAddress` by level-1 entry `raw`, or nil when the entry is
    /// absent or refuses `access`.
    static func leafAddress(_ raw: UInt64, of virtualAddress: UInt64, access: Access) -> UInt64? {
        guard grants(raw, access) else { return nil }
        return (PageTableEntry(rawValue: raw).physicalAddress & ~0xFFF) | (virtualAddress & 0xFFF)
    }

    /// Whether entry `raw` is present and allows `access` (every level must).
    static func grants(_ raw: UInt64, _ access: Access) -> Bool {
        guard PageTableEntry(rawValue: raw).isPresent else { return false }
        if access.contains(.write), raw & PageTableEntry.writable == 0 { return false }
        return !access.contains(.user) || raw & PageTableEntry.user != 0
    }

    /// Up to `count` bytes starting at `virtualAddress`, stopping at the first unmapped byte.
    public func read(_ virtualAddress: UInt64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<UInt64(count) {
            guard let physical = translate(virtualAddress &+ i),
                  let byte = try? memory.load(UInt8.self, at: physical) else { break }
            bytes.append(byte)
        }
        return bytes
    }
}
