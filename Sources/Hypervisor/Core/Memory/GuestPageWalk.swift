/// Translates guest-virtual addresses the way the MMU would, by reading the
/// guest's own page tables through bounds-checked guest memory. Used for
/// diagnostics (instruction bytes at a faulting RIP), never for access control.
public struct GuestPageWalk {
    let memory: GuestMemory
    /// The guest's CR3.
    let root: UInt64

    public init(memory: GuestMemory, root: UInt64) {
        self.memory = memory
        self.root = root & PageTableEntry.addressMask
    }

    /// The guest-physical address `virtualAddress` maps to, or nil if unmapped.
    public func translate(_ virtualAddress: UInt64) -> UInt64? {
        var table = root
        for level in stride(from: 4, through: 1, by: -1) {
            let slot = table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: level))
            guard let raw = try? memory.load(UInt64.self, at: slot) else { return nil }
            let entry = PageTableEntry(rawValue: raw)
            guard entry.isPresent else { return nil }
            if level == 1 || (level <= 3 && raw & PageTableEntry.hugePage != 0) {
                let pageBits = UInt64(12 + 9 * (level - 1))
                let offsetMask = (UInt64(1) << pageBits) - 1
                return (entry.physicalAddress & ~offsetMask) | (virtualAddress & offsetMask)
            }
            table = entry.physicalAddress
        }
        return nil
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
