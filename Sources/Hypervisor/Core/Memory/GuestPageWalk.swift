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
        var table = root
        for level in stride(from: 4, through: 1, by: -1) {
            let slot = table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: level))
            guard let raw = try? memory.load(UInt64.self, at: slot) else { return nil }
            let entry = PageTableEntry(rawValue: raw)
            guard entry.isPresent else { return nil }
            if access.contains(.write), raw & PageTableEntry.writable == 0 { return nil }
            if access.contains(.user), raw & PageTableEntry.user == 0 { return nil }
            if level == 1 || (level <= 3 && raw & PageTableEntry.hugePage != 0) {
                let pageBits = UInt64(12 + 9 * (level - 1))
                let offsetMask = (UInt64(1) << pageBits) - 1
                return (entry.physicalAddress & ~offsetMask) | (virtualAddress & offsetMask)
            }
            table = entry.physicalAddress
        }
        return nil
    }

    /// The guest-physical ranges backing `[virtualAddress, virtualAddress + length)`,
    /// merged where contiguous, up to the first page that does not grant `access`.
    public func ranges(_ virtualAddress: UInt64, length: UInt64, access: Access) -> [GuestRange] {
        var result: [GuestRange] = []
        var address = virtualAddress
        var remaining = length
        while remaining > 0 {
            guard let physical = translate(address, access: access) else { break }
            let chunk = min(remaining, 4096 - (address & 0xFFF))
            guard (try? memory.check(physical, length: chunk)) != nil else { break }
            if let last = result.last, last.address + last.length == physical {
                result[result.count - 1].length += chunk
            } else {
                result.append(GuestRange(address: physical, length: chunk))
            }
            let (next, overflow) = address.addingReportingOverflow(chunk)
            if overflow { break }
            address = next
            remaining -= chunk
        }
        return result
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
