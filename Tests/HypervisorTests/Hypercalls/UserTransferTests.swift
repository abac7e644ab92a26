import Foundation
import Glibc
import Testing
import UnikernelABI

@testable import Hypervisor

/// Reads and writes straight between host files and application memory,
/// translated through page tables the test builds by hand.
@Suite("User-memory transfers")
final class UserTransferTests {
    let memory: GuestMemory
    let root: URL
    let files: HostFileTable
    let handler: HypercallHandler
    let cr3: UInt64 = 0x1000

    /// Maps 0x400000 → 0x10000 (user, writable), 0x401000 → 0x20000 (user,
    /// read-only), 0x402000 → 0x30000 (kernel only); 0x403000 stays unmapped.
    init() throws {
        memory = try GuestMemory(size: 1 << 20)
        let user = PageTableEntry.user, present = PageTableEntry.present, writable = PageTableEntry.writable
        try memory.store(0x2000 | present | writable | user, at: 0x1000)          // PML4[0]
        try memory.store(0x3000 | present | writable | user, at: 0x2000)          // PDPT[0]
        try memory.store(0x4000 | present | writable | user, at: 0x3000 + 8 * 2)  // PD[2] → 0x400000
        try memory.store(0x10000 | present | writable | user, at: 0x4000)         // PT[0]
        try memory.store(0x20000 | present | user, at: 0x4000 + 8)               // PT[1]
        try memory.store(0x30000 | present | writable, at: 0x4000 + 16)          // PT[2]
        root = FileManager.default.temporaryDirectory.appendingPathComponent("usertx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        files = try HostFileTable(rootDirectory: root.path)
        handler = HypercallHandler(memory: memory, files: files, tracer: nil)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func openFile(_ name: String) -> Int32 {
        Int32(files.open(path: Array("/\(name)".utf8), flags: O_RDWR | O_CREAT, mode: 0o644))
    }

    @Test func walkMergesContiguousPagesAndStopsAtUnmapped() {
        let walk = GuestPageWalk(memory: memory, root: cr3)
        #expect(walk.translate(0x400123, access: [.user]) == 0x10123)
        #expect(walk.translate(0x401000, access: [.user, .write]) == nil)
        #expect(walk.translate(0x402000, access: [.user]) == nil)
        #expect(walk.translate(0x402000) == 0x30000)
        let ranges = walk.ranges(0x400F00, length: 0x200, access: [.user])
        #expect(ranges == [GuestRange(address: 0x10F00, length: 0x100), GuestRange(address: 0x20000, length: 0x100)])
    }

    /// 0x600000..0x800000 through one table of scattered frames (every fourth page pairs with
    /// the next one physically), then 0x800000 as a 2 MiB page; the walk by table must give
    /// what a page-by-page translation gives, across the table boundary and into the large page.
    @Test func tableWalkMatchesPageByPageTranslation() throws {
        let memory = try GuestMemory(size: 8 << 20)
        let user = PageTableEntry.user, present = PageTableEntry.present, writable = PageTableEntry.writable
        try memory.store(0x2000 | present | writable | user, at: 0x1000)          // PML4[0]
        try memory.store(0x3000 | present | writable | user, at: 0x2000)          // PDPT[0]
        try memory.store(0x4000 | present | writable | user, at: 0x3000 + 8 * 3)  // PD[3] → 0x600000
        try memory.store(0x400000 | present | writable | user | PageTableEntry.hugePage, at: 0x3000 + 8 * 4)  // PD[4]: 2 MiB
        func frame(_ index: Int) -> UInt64 {
            index % 4 == 1 ? frame(index - 1) + 0x1000 : UInt64(0x100000 + ((index * 7) % 512) * 0x1000)
        }
        for index in 0..<512 {
            try memory.store(frame(index) | present | (index == 300 ? 0 : writable) | user, at: 0x4000 + 8 * UInt64(index))
        }
        let walk = GuestPageWalk(memory: memory, root: 0x1000)
        func expected(_ start: UInt64, _ length: UInt64, _ access: GuestPageWalk.Access) -> [GuestRange] {
            var result: [GuestRange] = []
            var address = start
            while address < start + length, let physical = walk.translate(address, access: access) {
                let count = min(start + length - address, 4096 - (address & 0xFFF))
                if let last = result.last, last.address + last.length == physical { result[result.count - 1].length += count }
                else { result.append(GuestRange(address: physical, length: count)) }
                address += count
            }
            return result
        }
        for (start, length) in [(UInt64(0x600123), UInt64(0x1F_0000)), (0x7FF800, 0x2000), (0x600000, 0x40_0000), (0x6FF000, 0x1)] {
            #expect(walk.ranges(start, length: length, access: [.user]) == expected(start, length, [.user]))
            #expect(walk.ranges(start, length: length, access: [.user, .write]) == expected(start, length, [.user, .write]))
        }
        // Page 300 is read-only: a read into it stops there.
        let stopped = walk.ranges(0x600000, length: 0x20_0000, access: [.user, .write])
        #expect(stopped.reduce(0) { $0 + $1.length } == 300 * 0x1000)
        #expect(walk.ranges(0x7FF000, length: 0x2000, access: [.user]).last == GuestRange(address: 0x400000, length: 0x1000))
    }

    @Test func writesApplicationBytesAcrossPages() throws {
        try memory.write(Array(repeating: UInt8(ascii: "a"), count: 0x100), at: 0x10F00)
        try memory.write(Array(repeating: UInt8(ascii: "b"), count: 0x100), at: 0x20000)
        let handle = openFile("out.txt")
        let result = handler.handle(.writeUser(handle: handle, span: UserSpan(root: cr3, address: 0x400F00, length: 0x200), offset: -1))
        #expect(result == .resume(result: 0x200))
        let written = try String(contentsOf: root.appendingPathComponent("out.txt"), encoding: .utf8)
        #expect(written == String(repeating: "a", count: 0x100) + String(repeating: "b", count: 0x100))
    }

    @Test func stopsAtTheFirstPageTheApplicationCannotReach() {
        let handle = openFile("partial.txt")
        let result = handler.handle(.writeUser(handle: handle, span: UserSpan(root: cr3, address: 0x401F00, length: 0x200), offset: -1))
        #expect(result == .resume(result: 0x100))
    }

    @Test func refusesKernelOnlyAndUnmappedMemoryWithEFAULT() {
        let handle = openFile("none.txt")
        #expect(handler.handle(.writeUser(handle: handle, span: UserSpan(root: cr3, address: 0x402000, length: 16), offset: -1))
                == .resume(result: -Int64(EFAULT)))
        #expect(handler.handle(.writeUser(handle: handle, span: UserSpan(root: cr3, address: 0x403000, length: 16), offset: -1))
                == .resume(result: -Int64(EFAULT)))
    }

    @Test func readsIntoWritablePagesOnly() throws {
        try "hello world".write(to: root.appendingPathComponent("in.txt"), atomically: true, encoding: .utf8)
        let handle = Int32(files.open(path: Array("/in.txt".utf8), flags: O_RDONLY, mode: 0))
        #expect(handler.handle(.readUser(handle: handle, span: UserSpan(root: cr3, address: 0x401000, length: 11), offset: 0))
                == .resume(result: -Int64(EFAULT)))
        #expect(handler.handle(.readUser(handle: handle, span: UserSpan(root: cr3, address: 0x400010, length: 64), offset: 0))
                == .resume(result: 11))
        #expect(try memory.read(at: 0x10010, length: 11) == Array("hello world".utf8))
    }

    @Test func decodesUserIOBlock() throws {
        try memory.store(uk_hc_user_io(handle: 1, reserved: 0, cr3: cr3, address: 0x400000, len: 5, offset: -1, result: 0), at: 0x8000)
        let decoded = try Hypercall.decode(port: UInt16(UK_HC_WRITE_USER.rawValue), block: 0x8000, memory: memory)
        #expect(decoded.call == .writeUser(handle: 1, span: UserSpan(root: cr3, address: 0x400000, length: 5), offset: -1))
        #expect(decoded.resultAddress == 0x8000 + 40)
    }
}

/// UK_HC_FLUSH and the machine's flush at a stop: the kernel's pending write-behind bytes,
/// described by `uk_pending_write` at UK_PENDING_WRITE_PHYS, reach the file exactly once.
@Suite("Pending write-behind flush")
final class PendingWriteFlushTests {
    let memory: GuestMemory
    let root: URL
    let files: HostFileTable
    let handler: HypercallHandler

    init() throws {
        memory = try GuestMemory(size: 1 << 20)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("flush-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        files = try HostFileTable(rootDirectory: root.path)
        handler = HypercallHandler(memory: memory, files: files, tracer: nil)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    private var pendingLength: UInt64 {
        (try? memory.load(uk_pending_write.self, at: UK_PENDING_WRITE_PHYS).length) ?? .max
    }

    @Test func writesThePendingBytesOnceAndClearsThem() throws {
        let handle = Int32(files.open(path: Array("/out".utf8), flags: O_RDWR | O_CREAT, mode: 0o644))
        try memory.write(Array("hello, pending".utf8), at: 0x8000)
        try memory.store(uk_pending_write(handle: handle, reserved: 0, buffer_phys: 0x8000, length: 14), at: UK_PENDING_WRITE_PHYS)
        #expect(handler.flushPendingWrite() == 14)
        #expect(pendingLength == 0)
        #expect(handler.flushPendingWrite() == 0, "nothing is written twice")
        #expect(try String(contentsOf: root.appendingPathComponent("out"), encoding: .utf8) == "hello, pending")
    }

    @Test func refusesADescriptorOutsideMemoryOrWithoutAHandle() throws {
        try memory.store(uk_pending_write(handle: 3, reserved: 0, buffer_phys: (1 << 20) - 4, length: 64), at: UK_PENDING_WRITE_PHYS)
        #expect(handler.flushPendingWrite() == -Int64(EFAULT))
        #expect(pendingLength == 0)
        try memory.store(uk_pending_write(handle: 99, reserved: 0, buffer_phys: 0x8000, length: 8), at: UK_PENDING_WRITE_PHYS)
        #expect(handler.flushPendingWrite() == -Int64(EBADF))
        try memory.store(uk_pending_write(handle: 3, reserved: 0, buffer_phys: .max - 2, length: 16), at: UK_PENDING_WRITE_PHYS)
        #expect(handler.flushPendingWrite() < 0)
    }

    @Test func decodesTheFlushHypercall() throws {
        try memory.store(uk_hc_flush(result: 0), at: 0x9000)
        let decoded = try Hypercall.decode(port: UInt16(UK_HC_FLUSH.rawValue), block: 0x9000, memory: memory)
        #expect(decoded.call == .flushPendingWrite)
        #expect(decoded.resultAddress == 0x9000)
    }
}
