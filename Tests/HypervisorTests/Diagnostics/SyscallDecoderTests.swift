import Foundation
import Testing

@testable import Hypervisor

/// `--trace` lines read like strace's: symbolic flags, quoted paths and buffers, errno names.
@Suite("Syscall decoder")
struct SyscallDecoderTests {
    /// A fake application address space: a few byte strings at fixed addresses.
    static func decoder(_ regions: [UInt64: [UInt8]]) -> SyscallDecoder {
        SyscallDecoder { address, count in
            for (base, bytes) in regions where address >= base && address < base + UInt64(bytes.count) {
                let start = Int(address - base)
                return Array(bytes[start..<min(bytes.count, start + count)])
            }
            return []
        }
    }

    func record(_ name: String, _ arguments: [UInt64], _ result: Int64) -> SyscallRecord {
        SyscallRecord(number: UInt64(LinuxSyscallNames.number(of: name)!), arguments: arguments, result: result)
    }

    @Test func openatShowsAtFDCWDQuotedPathSymbolicFlagsAndErrno() {
        let decoder = Self.decoder([0x40_1000: Array("data/missing.txt\0".utf8)])
        let line = decoder.format(record("openat", [UInt64(bitPattern: -100), 0x40_1000, 0o2000000, 0, 0, 0], -2))
        #expect(line == #"openat(AT_FDCWD, "data/missing.txt", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"#)
    }

    @Test func openatWithCreateShowsTheOctalMode() {
        let decoder = Self.decoder([0x40_1000: Array("out\0".utf8)])
        let line = decoder.format(record("openat", [UInt64(bitPattern: -100), 0x40_1000, 0o1101, 0o644, 0, 0], 3))
        #expect(line == #"openat(AT_FDCWD, "out", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3"#)
    }

    @Test func mmapShowsProtAndMapFlagsAndAHexResult() {
        let line = SyscallDecoder.withoutMemory.format(
            record("mmap", [0, 8192, 3, 0x22, UInt64(bitPattern: -1), 0], 0x7F00_0000_0000))
        #expect(line == "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000")
    }

    @Test func writeQuotesAndTruncatesItsBufferLikeStrace() {
        let text = Array("0000\n0001\n0002\n0003\n0004\n0005\n0006\n".utf8)
        let line = Self.decoder([0x50_0000: text]).format(record("write", [1, 0x50_0000, UInt64(text.count)], Int64(text.count)))
        #expect(line == #"write(1, "0000\n0001\n0002\n0003\n0004\n0005\n00"..., 35) = 35"#)
    }

    @Test func readShowsOnlyTheBytesItRead() {
        let line = Self.decoder([0x50_0000: Array("ab\tc\u{1}1".utf8)]).format(record("read", [0, 0x50_0000, 4096], 6))
        #expect(line == #"read(0, "ab\tc\0011", 4096) = 6"#)
    }

    @Test func writevShowsEachIovec() {
        var iov: [UInt8] = []
        for (base, length) in [(UInt64(0x60_0000), UInt64(5)), (0x60_0010, 1)] {
            iov += withUnsafeBytes(of: base.littleEndian, Array.init) + withUnsafeBytes(of: length.littleEndian, Array.init)
        }
        let decoder = Self.decoder([0x60_0000: Array("Hello".utf8), 0x60_0010: Array("\n".utf8), 0x70_0000: iov])
        let line = decoder.format(record("writev", [1, 0x70_0000, 2], 6))
        #expect(line == #"writev(1, [{iov_base="Hello", iov_len=5}, {iov_base="\n", iov_len=1}], 2) = 6"#)
    }

    @Test func clockArchPrctlAndUnreadablePointers() {
        let decoder = SyscallDecoder.withoutMemory
        #expect(decoder.format(record("clock_gettime", [1, 0x7FFF_0000], 0)) == "clock_gettime(CLOCK_MONOTONIC, 0x7fff0000) = 0")
        #expect(decoder.format(record("arch_prctl", [0x1002, 0x4A_F380], 0)) == "arch_prctl(ARCH_SET_FS, 0x4af380) = 0")
        // An unmapped path pointer prints as hex rather than failing.
        #expect(decoder.format(record("unlink", [0xDEAD_0000], -14)) == "unlink(0xdead0000) = -1 EFAULT (Bad address)")
    }

    @Test func unknownSyscallsKeepSixHexArguments() {
        let line = SyscallDecoder.withoutMemory.format(SyscallRecord(number: 1000, arguments: [1, 2, 3, 4, 5, 6], result: -38))
        #expect(line == "syscall_1000(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)")
    }

    @Test func flagTablesNameEveryBitAndKeepTheRestInHex() {
        #expect(SyscallDecoder.FlagTable.protection.render(0) == "PROT_NONE")
        #expect(SyscallDecoder.FlagTable.open.render(0o4010002) == "O_RDWR|O_SYNC")
        #expect(SyscallDecoder.FlagTable.mapping.render(0x20022) == "MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK")
        #expect(SyscallDecoder.FlagTable.access.render(0x46) == "R_OK|W_OK|0x40")
        #expect(SyscallDecoder.SymbolTable.futex.render(129) == "FUTEX_WAKE_PRIVATE")
    }

    @Test func stringsSpanningPagesAreReadWholeAndUnterminatedOnesAreNotTrusted() {
        let long = [UInt8](repeating: 0x61, count: 5000)
        let page = Self.decoder([0x1000: long + [0]])
        #expect(page.readString(at: 0x1000)?.count == nil) // longer than PATH_MAX
        let short = Self.decoder([0x1FFE: Array("abcd\0".utf8)])
        #expect(short.readString(at: 0x1FFE) == Array("abcd".utf8))
        #expect(Self.decoder([0x1000: Array("abc".utf8)]).readString(at: 0x1000) == nil)
    }
}
