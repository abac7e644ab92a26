import Testing

@testable import Hypervisor

extension LoaderTests {
    /// One test per loader check: each feeds the file from `MalformedELF` that breaks exactly
    /// that check and pins the error, values included.
    @Suite("ELF loader rejects malformed files")
    struct ELFLoadErrorTests {
        let path = "app.elf"
        let memory: UInt64 = 64 << 20

        func planApplication(_ bytes: [UInt8], loadBias: UInt64 = 0) throws(ELFLoadError) -> ApplicationImage {
            try ApplicationImage.plan(bytes: bytes, path: path, loadBias: loadBias, maxImageSize: memory)
        }

        func applicationError(_ bytes: [UInt8], loadBias: UInt64 = 0) -> ELFLoadError? {
            do {
                _ = try planApplication(bytes, loadBias: loadBias)
                return nil
            } catch {
                return error
            }
        }

        func kernelError(_ bytes: [UInt8]) -> ELFLoadError? {
            do {
                _ = try KernelImage.plan(bytes: bytes, path: "kernel.elf")
                return nil
            } catch {
                return error
            }
        }

        @Test func rejectsEmptyFile() {
            #expect(applicationError(MalformedELF.emptyFile()) == .emptyFile(path: path))
        }

        @Test func rejectsTruncatedHeader() {
            #expect(applicationError(MalformedELF.truncatedHeader()) == .truncatedHeader(path: path, size: 40))
        }

        @Test func rejectsBadMagic() {
            #expect(applicationError(MalformedELF.badMagic()) == .badMagic(path: path, found: Array("#!/b".utf8)))
            // A short non-ELF file is reported as not ELF rather than as a truncated header.
            #expect(applicationError([0x4d, 0x5a]) == .badMagic(path: path, found: [0x4d, 0x5a]))
        }

        @Test func rejectsWrongClass() {
            #expect(applicationError(MalformedELF.wrongClass()) == .wrongClass(path: path, elfClass: 1))
        }

        @Test func rejectsWrongDataEncoding() {
            #expect(applicationError(MalformedELF.wrongDataEncoding()) == .wrongDataEncoding(path: path, encoding: 2))
        }

        @Test func rejectsWrongVersion() {
            #expect(
                applicationError(MalformedELF.wrongVersion())
                    == .wrongVersion(path: path, identVersion: 1, version: 2))
        }

        @Test func rejectsWrongMachine() {
            #expect(applicationError(MalformedELF.wrongMachine()) == .wrongMachine(path: path, machine: 183))
        }

        @Test(arguments: [UInt16(0), 1, 4, 0xfe00])
        func rejectsUnsupportedType(type: UInt16) {
            #expect(
                applicationError(MalformedELF.unsupportedType(type)) == .unsupportedType(path: path, type: type))
        }

        @Test func rejectsWrongProgramHeaderEntrySize() {
            #expect(
                applicationError(MalformedELF.wrongProgramHeaderEntrySize())
                    == .wrongProgramHeaderEntrySize(path: path, entrySize: 32))
        }

        @Test func rejectsTooManyProgramHeaders() {
            #expect(
                applicationError(MalformedELF.tooManyProgramHeaders())
                    == .tooManyProgramHeaders(path: path, count: 129, limit: 128))
        }

        @Test func rejectsProgramHeadersOutsideFile() {
            let pastEnd = MalformedELF.programHeadersPastEndOfFile()
            #expect(
                applicationError(pastEnd)
                    == .programHeadersOutsideFile(
                        path: path, offset: UInt64(pastEnd.count - 100), count: 4, fileSize: UInt64(pastEnd.count)))
            let wrapping = MalformedELF.programHeadersOffsetWrapping()
            #expect(
                applicationError(wrapping)
                    == .programHeadersOutsideFile(
                        path: path, offset: .max, count: 4, fileSize: UInt64(wrapping.count)))
        }

        @Test func rejectsDynamicallyLinkedProgram() {
            let error = applicationError(MalformedELF.dynamicallyLinked())
            #expect(error == .dynamicallyLinked(path: path, index: 4, interpreter: MalformedELF.interpreter))
            #expect(
                error?.description
                    == "app.elf: dynamically linked (PT_INTERP /lib64/ld-linux-x86-64.so.2 in program header 4): only static binaries run")
        }

        @Test func rejectsFileWithoutLoadableSegment() {
            #expect(applicationError(MalformedELF.noLoadableSegment()) == .noLoadableSegment(path: path))
            #expect(applicationError(MalformedELF.onlyEmptyLoadSegments()) == .noLoadableSegment(path: path))
        }

        @Test func rejectsSegmentOutsideFile() {
            let pastEnd = MalformedELF.segmentPastEndOfFile()
            #expect(
                applicationError(pastEnd)
                    == .segmentOutsideFile(
                        path: path, index: 2, offset: 0x2000, fileSizeInSegment: 0x100, fileSize: UInt64(pastEnd.count)))
            let wrapping = MalformedELF.segmentOffsetWrapping()
            #expect(
                applicationError(wrapping)
                    == .segmentOutsideFile(
                        path: path, index: 2, offset: 0xffff_ffff_ffff_fff8, fileSizeInSegment: 16,
                        fileSize: UInt64(wrapping.count)))
        }

        @Test func rejectsSegmentWithFileSizeLargerThanMemorySize() {
            #expect(
                applicationError(MalformedELF.segmentFileSizeExceedsMemorySize())
                    == .segmentFileSizeExceedsMemorySize(path: path, index: 2, fileSizeInSegment: 0x2000, memorySize: 0x1010))
        }

        @Test func rejectsSegmentWrappingAroundAddressSpace() {
            #expect(
                applicationError(MalformedELF.segmentAddressWrapping())
                    == .segmentAddressOverflow(
                        path: path, index: 2, virtualAddress: 0xffff_ffff_ffff_f000, memorySize: 0x2000, loadBias: 0))
            // A static-pie that is fine by itself wraps once a huge load bias is added.
            var pie = MalformedELF.staticPIE()
            pie.headers[1].memorySize = 0x1000
            #expect(
                applicationError(pie.bytes(), loadBias: MalformedELF.wrappingLoadBias)
                    == .segmentAddressOverflow(
                        path: path, index: 1, virtualAddress: 0, memorySize: 0x1000,
                        loadBias: MalformedELF.wrappingLoadBias))
        }

        @Test func rejectsSegmentInKernelHalf() {
            #expect(
                applicationError(MalformedELF.segmentInKernelHalf())
                    == .segmentInKernelHalf(
                        path: path, index: 0, start: 0xffff_ffff_8000_0000, end: 0xffff_ffff_8000_0120))
            #expect(
                applicationError(MalformedELF.segmentStraddlingUserLimit())
                    == .segmentInKernelHalf(path: path, index: 2, start: 0x7fff_ffff_f000, end: 0x8000_0000_1000))
        }

        @Test func rejectsSegmentBelowMinimumAddress() {
            #expect(
                applicationError(MalformedELF.segmentBelowMinimumAddress())
                    == .segmentBelowMinimumAddress(path: path, index: 0, start: 0))
            // A static-pie loaded without a bias sits at 0 too.
            #expect(
                applicationError(MalformedELF.staticPIE().bytes(), loadBias: 0)
                    == .segmentBelowMinimumAddress(path: path, index: 1, start: 0))
        }

        @Test func rejectsSegmentOverlappingAnotherSegment() {
            let error = applicationError(MalformedELF.segmentsOverlap())
            #expect(
                error
                    == .segmentsOverlap(
                        path: path, index: 2, start: 0x401004, end: 0x401004 + MalformedELF.dataMemorySize,
                        otherIndex: 1, otherStart: 0x401000, otherEnd: 0x401009))
            #expect(
                error?.description
                    == "app.elf: program header 2 (PT_LOAD) at vaddr 0x401004-0x402014 overlaps program header 1 at 0x401000-0x401009")
        }

        @Test func rejectsSegmentWithOffsetNotCongruentToAddress() {
            #expect(
                applicationError(MalformedELF.segmentOffsetNotCongruent())
                    == .segmentOffsetNotCongruent(path: path, index: 2, virtualAddress: 0x402000, offset: 0x2008))
        }

        @Test func rejectsLoadBiasNotPageAligned() {
            #expect(
                applicationError(MalformedELF.staticPIE().bytes(), loadBias: 0x5555_5555_4001)
                    == .loadBiasNotPageAligned(path: path, loadBias: 0x5555_5555_4001))
        }

        @Test func rejectsImageLargerThanGuestMemoryOffers() {
            let error = applicationError(MalformedELF.imageLargerThan64MiB())
            #expect(error == .imageTooLarge(path: path, size: (64 << 20) + 0x2000, limit: 64 << 20))
            #expect(error?.description.hasSuffix("needs 65 MiB, guest memory offers 64 MiB") == true)
        }

        @Test func rejectsEntryPointOutsideExecutableSegments() {
            #expect(
                applicationError(MalformedELF.entryInDataSegment())
                    == .entryPointNotExecutable(path: path, entry: 0x402000))
            #expect(
                applicationError(MalformedELF.entryOutsideEverySegment())
                    == .entryPointNotExecutable(path: path, entry: 0))
        }

        @Test func rejectsKernelThatIsNotExecutable() {
            #expect(
                kernelError(MalformedELF.kernelNotExecutable())
                    == .kernelNotExecutable(path: "kernel.elf", type: 3))
        }

        @Test func rejectsKernelSegmentWithMismatchedPhysicalAddress() {
            let base = MalformedELF.kernelVirtualBase + MalformedELF.kernelPhysicalBase
            #expect(
                kernelError(MalformedELF.kernelSegmentAddressMismatch())
                    == .kernelSegmentAddressMismatch(
                        path: "kernel.elf", index: 1, virtualAddress: base + 0x1000, physicalAddress: base + 0x1000))
        }

        @Test func rejectsKernelSegmentOutsideKernelWindow() {
            #expect(
                kernelError(MalformedELF.kernelBelowWindow())
                    == .kernelSegmentOutsideWindow(
                        path: "kernel.elf", index: 0, physicalStart: 0x10_0000, physicalEnd: 0x10_0003))
            #expect(
                kernelError(MalformedELF.kernelPastWindow())
                    == .kernelSegmentOutsideWindow(
                        path: "kernel.elf", index: 1, physicalStart: 0x20_1000, physicalEnd: 0xa0_1000))
        }

        @Test func rejectsKernelLargerThanGuestMemory() throws {
            let kernel = try KernelImage.plan(bytes: MalformedELF.kernel().bytes(), path: "kernel.elf")
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 0x20_0000, alignment: 4096)
            defer { memory.deallocate() }
            #expect(throws: ELFLoadError.kernelExceedsGuestMemory(path: "kernel.elf", physicalEnd: 0x20_3000, memorySize: 0x20_0000)) {
                try kernel.write(into: memory)
            }
        }

        @Test func kernelChecksSharedWithApplicationsApplyToKernels() {
            // The per-segment file checks and the overlap and entry checks are the same code;
            // make sure the kernel planner runs them too.
            #expect(
                kernelError(MalformedELF.kernelWith { $0.headers[1].fileSize = 0x100 })
                    == .segmentOutsideFile(
                        path: "kernel.elf", index: 1, offset: 0x2000, fileSizeInSegment: 0x100, fileSize: 0x2008))
            #expect(
                kernelError(MalformedELF.kernelWith { $0.headers[1].virtualAddress -= 0xffe; $0.headers[1].physicalAddress -= 0xffe })
                    == .segmentsOverlap(
                        path: "kernel.elf", index: 1, start: 0xffff_ffff_8020_0002, end: 0xffff_ffff_8020_2002,
                        otherIndex: 0, otherStart: 0xffff_ffff_8020_0000, otherEnd: 0xffff_ffff_8020_0003))
            #expect(
                kernelError(MalformedELF.kernelWith { $0.entry += 0x1000 })
                    == .entryPointNotExecutable(path: "kernel.elf", entry: 0xffff_ffff_8020_1000))
            #expect(
                kernelError(MalformedELF.kernelWith { $0.headers[1].memorySize = .max })
                    == .segmentAddressOverflow(
                        path: "kernel.elf", index: 1, virtualAddress: 0xffff_ffff_8020_1000, memorySize: .max, loadBias: 0))
        }

        @Test func everyMessageNamesTheFileOnOneLine() {
            let inputs: [[UInt8]] = [
                MalformedELF.emptyFile(), MalformedELF.truncatedHeader(), MalformedELF.badMagic(),
                MalformedELF.wrongClass(), MalformedELF.wrongDataEncoding(), MalformedELF.wrongVersion(),
                MalformedELF.wrongMachine(), MalformedELF.unsupportedType(1),
                MalformedELF.wrongProgramHeaderEntrySize(), MalformedELF.tooManyProgramHeaders(),
                MalformedELF.programHeadersPastEndOfFile(), MalformedELF.dynamicallyLinked(),
                MalformedELF.noLoadableSegment(), MalformedELF.segmentPastEndOfFile(),
                MalformedELF.segmentFileSizeExceedsMemorySize(), MalformedELF.segmentAddressWrapping(),
                MalformedELF.segmentInKernelHalf(), MalformedELF.segmentBelowMinimumAddress(),
                MalformedELF.segmentsOverlap(), MalformedELF.segmentOffsetNotCongruent(),
                MalformedELF.imageLargerThan64MiB(), MalformedELF.entryInDataSegment(),
            ]
            for input in inputs {
                let message = applicationError(input)?.description ?? "accepted"
                #expect(message.hasPrefix("app.elf: "), "\(message)")
                #expect(!message.contains("\n"), "\(message)")
            }
            let kernelInputs = [
                MalformedELF.kernelNotExecutable(), MalformedELF.kernelSegmentAddressMismatch(),
                MalformedELF.kernelBelowWindow(),
            ]
            for input in kernelInputs {
                let message = kernelError(input)?.description ?? "accepted"
                #expect(message.hasPrefix("kernel.elf: "), "\(message)")
            }
        }
    }
}
