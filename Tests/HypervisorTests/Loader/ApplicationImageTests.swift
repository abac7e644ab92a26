import Testing
import UnikernelABI

@testable import Hypervisor

extension LoaderTests {
    /// What a valid application's plan and flat image look like.
    @Suite("Application image planning")
    struct ApplicationImageTests {
        let memory: UInt64 = 64 << 20

        func plan(_ bytes: [UInt8], loadBias: UInt64 = 0) throws -> ApplicationImage {
            try ApplicationImage.plan(bytes: bytes, path: "app.elf", loadBias: loadBias, maxImageSize: memory)
        }

        @Test func plansStaticExecutableAtLinkedAddresses() throws {
            let image = try plan(MalformedELF.staticExecutable().bytes())
            #expect(image.elfType == 2)
            #expect(image.loadBias == 0)
            #expect(image.entry == 0x401000)
            #expect(image.imageVirtualAddress == 0x400000)
            #expect(image.imageSize == 0x4000)  // data + .bss end at 0x403010
            #expect(image.initialBreak == 0x404000)
            #expect(image.phdrVirtualAddress == 0x400040)  // mapped by header 0 from offset 0
            #expect(image.programHeaderEntrySize == 56)
            #expect(image.programHeaderCount == 4)
            #expect(
                image.segments == [
                    LoadSegment(programHeaderIndex: 0, virtualAddress: 0x400000, memorySize: 0x120, fileSize: 0x120, fileOffset: 0, flags: 4),
                    LoadSegment(programHeaderIndex: 1, virtualAddress: 0x401000, memorySize: 9, fileSize: 9, fileOffset: 0x1000, flags: 5),
                    LoadSegment(programHeaderIndex: 2, virtualAddress: 0x402000, memorySize: 0x1010, fileSize: 16, fileOffset: 0x2000, flags: 6),
                ])
        }

        @Test func materializesFileBytesAndZeroesEverythingElse() throws {
            let bytes = MalformedELF.staticExecutable().bytes()
            let image = try plan(bytes)
            // Start from garbage to see that materialize zeroes gaps and .bss itself.
            var flat = [UInt8](repeating: 0xcc, count: Int(image.imageSize))
            flat.withUnsafeMutableBytes { image.materialize(into: $0) }
            #expect(Array(flat[0..<0x120]) == Array(bytes[0..<0x120]))  // headers
            #expect(flat[0x120..<0x1000].allSatisfy { $0 == 0 })
            #expect(Array(flat[0x1000..<0x1009]) == MalformedELF.exitCode)
            #expect(flat[0x1009..<0x2000].allSatisfy { $0 == 0 })
            #expect(Array(flat[0x2000..<0x2010]) == MalformedELF.dataBytes)
            #expect(flat[0x2010...].allSatisfy { $0 == 0 })  // .bss and the rest of its page
            #expect(image.materialized() == flat)
        }

        @Test func materializingIntoZeroedMemoryWritesOnlyFileBytes() throws {
            let bytes = MalformedELF.staticExecutable().bytes()
            let image = try plan(bytes)
            // Marked memory shows what is written: the file bytes, nothing of the gaps or .bss.
            var marked = [UInt8](repeating: 0xcc, count: Int(image.imageSize))
            marked.withUnsafeMutableBytes { image.materialize(into: $0, zeroed: true) }
            #expect(Array(marked[0x1000..<0x1009]) == MalformedELF.exitCode)
            #expect(marked[0x1009..<0x2000].allSatisfy { $0 == 0xcc })
            #expect(marked[0x2010...].allSatisfy { $0 == 0xcc })
            // Into memory that is zero, as fresh guest memory is, the image is the same.
            var zero = [UInt8](repeating: 0, count: Int(image.imageSize))
            zero.withUnsafeMutableBytes { image.materialize(into: $0, zeroed: true) }
            #expect(zero == image.materialized())
        }

        @Test func plansStaticPIEAtLoadBias() throws {
            let bias: UInt64 = 0x5555_5555_4000
            let image = try plan(MalformedELF.staticPIE().bytes(), loadBias: bias)
            #expect(image.elfType == 3)
            #expect(image.loadBias == bias)
            #expect(image.entry == bias + 0x1000)
            #expect(image.imageVirtualAddress == bias)
            #expect(image.phdrVirtualAddress == bias + 0x40)  // from PT_PHDR
            #expect(image.segments.map(\.virtualAddress) == [bias, bias + 0x1000, bias + 0x2000])
            #expect(image.segments.map(\.programHeaderIndex) == [1, 2, 3])
        }

        @Test func ignoresLoadBiasForFixedAddressExecutable() throws {
            let image = try plan(MalformedELF.staticExecutable().bytes(), loadBias: 0x5555_5555_4000)
            #expect(image.loadBias == 0)
            #expect(image.entry == 0x401000)
        }

        @Test func acceptsStrippedBinaryAndIgnoresSectionHeaders() throws {
            // The samples have no section header table at all (like `sstrip`); this one also
            // has section header fields that point nowhere, which the loader never reads.
            var elf = MalformedELF.staticExecutable()
            elf.sectionHeaderOffset = 0xdead_beef_0000
            elf.sectionHeaderEntrySize = 64
            elf.sectionHeaderCount = 30
            elf.sectionNameIndex = 29
            let image = try plan(elf.bytes())
            #expect(image.entry == 0x401000)
        }

        @Test func acceptsSegmentsSharingAPageWithoutSharingBytes() throws {
            let image = try plan(MalformedELF.segmentsSharingAPage())
            #expect(image.segments[2].virtualAddress == 0x401009)
            let flat = image.materialized()
            #expect(Array(flat[0x1000..<0x1009]) == MalformedELF.exitCode)
            #expect(Array(flat[0x1009..<0x1019]) == MalformedELF.dataBytes)
        }

        @Test func leavesOutLoadSegmentsWithoutMemory() throws {
            var elf = MalformedELF.staticExecutable()
            elf.headers.append(.load(flags: 4, offset: 0, virtualAddress: 0x7000_0000, fileSize: 0, memorySize: 0))
            elf.headers[0].fileSize = elf.headersEnd
            elf.headers[0].memorySize = elf.headersEnd
            let image = try plan(elf.bytes())
            #expect(image.segments.count == 3)
            #expect(image.imageSize == 0x4000)
        }

        @Test func reportsNoProgramHeaderAddressWhenNoSegmentMapsTheTable() throws {
            // Header 0 maps only the ELF header, not the program headers after it.
            var elf = MalformedELF.staticExecutable()
            elf.headers[0].fileSize = 64
            elf.headers[0].memorySize = 64
            #expect(try plan(elf.bytes()).phdrVirtualAddress == 0)
        }

        @Test func acceptsImageExactlyAsLargeAsGuestMemoryOffers() throws {
            let image = try ApplicationImage.plan(
                bytes: MalformedELF.staticExecutable().bytes(), path: "app.elf", loadBias: 0, maxImageSize: 0x4000)
            #expect(image.imageSize == 0x4000)
        }

        @Test func convertsSegmentsToBootInfoEntries() throws {
            let image = try plan(MalformedELF.staticExecutable().bytes())
            let entry: uk_segment = image.segments[2].abiSegment
            #expect(entry.vaddr == 0x402000)
            #expect(entry.memsz == 0x1010)
            #expect(entry.filesz == 16)
            #expect(entry.flags == 6)
            #expect(entry.reserved == 0)
        }

        /// Random corruption of a valid file never traps the loader: it either plans or throws,
        /// and what it plans can be materialized. (A deterministic miniature fuzzer.)
        @Test func survivesRandomCorruptionWithoutTrapping() {
            var random = SplitMix64(seed: 0x5eed)
            let valid = MalformedELF.staticExecutable().bytes()
            let interesting: [UInt64] = [0, 1, 0xfff, 0x1000, 0x7fff_ffff_f000, 0x8000_0000_0000, .max, .max - 0xfff]
            for _ in 0..<3000 {
                var bytes = valid
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    // Mostly the header and program headers, where the checks are.
                    let offset = Int(random.next() % 0x120)
                    if random.next() % 3 == 0, offset + 8 <= 0x120 {
                        let value = interesting[Int(random.next() % UInt64(interesting.count))]
                        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
                    } else {
                        bytes[offset] = UInt8(truncatingIfNeeded: random.next())
                    }
                }
                if random.next() % 8 == 0 {
                    bytes.removeLast(Int(random.next() % UInt64(bytes.count)))
                }
                if let image = try? ApplicationImage.plan(bytes: bytes, path: "fuzz", loadBias: 0x5555_5555_4000, maxImageSize: 1 << 20) {
                    _ = image.materialized()
                }
                _ = try? KernelImage.plan(bytes: bytes, path: "fuzz")
            }
        }
    }
}

extension LoaderTests {
    /// A small deterministic random number generator (SplitMix64), so the corruption test repeats.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }
}
