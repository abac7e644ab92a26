import Glibc
import Testing
import UnikernelABI

@testable import Hypervisor

/// Decoding hypercall parameter blocks from guest memory, and refusing bad ones.
@Suite("Hypercall decoding")
struct HypercallDecodingTests {
    let memory: GuestMemory
    let block: UInt64 = 0x3000

    init() throws {
        memory = try GuestMemory(size: 1 << 20)
    }

    /// The store of the block's address to `port`'s slot of the hypercall page, `length` bytes wide.
    func decode(_ port: uk_hypercall_port, length: UInt32 = 8) throws(HypercallFault) -> DecodedHypercall {
        try Hypercall.decode(mmioAddress: UK_HYPERCALL_MMIO_PHYS + 8 * UInt64(port.rawValue - UK_HC_EXIT.rawValue),
                             length: length, data: block, memory: memory)
    }

    @Test func decodesWriteWithItsBufferAndResultField() throws {
        try memory.store(uk_hc_io(handle: 1, reserved: 0, buf_phys: 0x8000, len: 14, offset: -1, result: 0), at: block)
        let decoded = try decode(UK_HC_WRITE)
        #expect(decoded.call == .write(handle: 1, buffer: GuestRange(address: 0x8000, length: 14), offset: -1))
        #expect(decoded.resultAddress == block + 32)
    }

    @Test func decodesExitWithoutResult() throws {
        try memory.store(uk_hc_exit(status: 42, patched_sites: 3, signal: 0, reserved: 0, trapped_syscalls: 40, stub_syscalls: 960), at: block)
        let decoded = try decode(UK_HC_EXIT)
        #expect(decoded.call == .exit(status: 42, patchedSyscallSites: 3, signal: 0, trappedSyscalls: 40, stubSyscalls: 960))
        #expect(decoded.resultAddress == nil)
    }

    @Test func decodesOpenPath() throws {
        try memory.write(Array("/data/file.txt".utf8) + [0], at: 0x9000)
        try memory.store(uk_hc_open(path_phys: 0x9000, path_len: 14, flags: O_RDONLY, mode: 0, result: 0), at: block)
        #expect(try decode(UK_HC_OPEN).call == .open(path: Array("/data/file.txt".utf8), flags: O_RDONLY, mode: 0))
    }

    @Test func answersBufferOutsideMemoryWithEFAULT() throws {
        try memory.store(uk_hc_io(handle: 1, reserved: 0, buf_phys: (1 << 20) - 4, len: 8, offset: -1, result: 0), at: block)
        let error = #expect(throws: HypercallFault.self) { try decode(UK_HC_READ) }
        #expect(error?.resultAddress == block + 32)
        #expect(error?.error.errno == 14)
    }

    @Test func answersWrappingBufferWithEFAULT() throws {
        try memory.store(uk_hc_io(handle: 1, reserved: 0, buf_phys: UInt64.max - 2, len: 16, offset: -1, result: 0), at: block)
        let error = #expect(throws: HypercallFault.self) { try decode(UK_HC_WRITE) }
        #expect(error?.error == .bufferOutOfBounds(port: 0x501, address: UInt64.max - 2, length: 16))
    }

    @Test func dropsParameterBlockOutsideMemory() throws {
        let error = #expect(throws: HypercallFault.self) {
            try Hypercall.decode(mmioAddress: UK_HYPERCALL_MMIO_PHYS + 8, length: 8, data: (1 << 20) - 8, memory: memory)
        }
        #expect(error?.resultAddress == nil)
    }

    @Test func decodesStoreToTheHypercallPage() throws {
        try memory.store(uk_hc_exit(status: 7, patched_sites: 0, signal: 0, reserved: 0, trapped_syscalls: 0, stub_syscalls: 0), at: block)
        let address = UK_HYPERCALL_MMIO_PHYS + 8 * UInt64(UK_HC_EXIT.rawValue - UK_HC_EXIT.rawValue)
        let decoded = try Hypercall.decode(mmioAddress: address, length: 8, data: block, memory: memory)
        #expect(decoded.call == .exit(status: 7, patchedSyscallSites: 0, signal: 0))
        #expect(Hypercall.isHypercallAddress(address))
        #expect(!Hypercall.isHypercallAddress(UK_HYPERCALL_MMIO_PHYS - 8))
    }

    @Test func mapsHypercallPageOffsetsToPorts() throws {
        try memory.store(uk_hc_close(handle: 5, reserved: 0, result: 0), at: block)
        let address = UK_HYPERCALL_MMIO_PHYS + 8 * UInt64(UK_HC_CLOSE.rawValue - UK_HC_EXIT.rawValue)
        #expect(try Hypercall.decode(mmioAddress: address, length: 8, data: block, memory: memory).call == .close(handle: 5))
    }

    @Test func rejectsNarrowOrMisalignedStoresToTheHypercallPage() {
        #expect(throws: HypercallFault.self) { try Hypercall.decode(mmioAddress: UK_HYPERCALL_MMIO_PHYS, length: 4, data: 0x3000, memory: memory) }
        #expect(throws: HypercallFault.self) { try Hypercall.decode(mmioAddress: UK_HYPERCALL_MMIO_PHYS + 4, length: 8, data: 0x3000, memory: memory) }
    }

    @Test func rejectsUnknownSlot() {
        let error = #expect(throws: HypercallFault.self) {
            try Hypercall.decode(mmioAddress: UK_HYPERCALL_MMIO_PHYS + 8 * 0x1F0, length: 8, data: 0, memory: memory)
        }
        #expect(error?.error == .unknownPort(0x6F0))
    }

    @Test func rejectsByteSizedAccess() {
        let error = #expect(throws: HypercallFault.self) { try decode(UK_HC_EXIT, length: 1) }
        #expect(error?.error == .wrongAccessSize(port: 0x500, size: 1))
    }

    @Test func answersOverlongPathWithENAMETOOLONG() throws {
        try memory.store(uk_hc_open(path_phys: 0x9000, path_len: 5000, flags: 0, mode: 0, result: 0), at: block)
        let error = #expect(throws: HypercallFault.self) { try decode(UK_HC_OPEN) }
        #expect(error?.error.errno == 36)
    }

    @Test func answersUnterminatedPathWithEFAULT() throws {
        try memory.write(Array("abc".utf8) + [0x41], at: 0x9000)
        try memory.store(uk_hc_open(path_phys: 0x9000, path_len: 3, flags: 0, mode: 0, result: 0), at: block)
        let error = #expect(throws: HypercallFault.self) { try decode(UK_HC_OPEN) }
        #expect(error?.error == .malformedPath(address: 0x9000))
    }

    @Test func guestMemoryRefusesRangesPastItsEnd() {
        #expect(throws: GuestMemoryError.self) { try memory.check(1 << 20, length: 1) }
        #expect(throws: GuestMemoryError.self) { try memory.check(UInt64.max, length: 2) }
        #expect(throws: Never.self) { try memory.check((1 << 20) - 1, length: 1) }
    }
}
