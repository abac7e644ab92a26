// Writes the loader tests' generated ELF samples (Tests/HypervisorTests/Loader/MalformedELF.swift:
// valid programs and kernels, and one file per loader check) into a directory, as seeds for
// the ELF loader fuzzer. Built by Tests/Fuzz/run-fuzzer.sh with ELFBuilder.swift and
// MalformedELF.swift; no binary is committed.
//
//   seed-corpus <directory>

#if canImport(Glibc)
import Glibc
#endif

@main
enum SeedCorpus {
    /// Every sample MalformedELF generates, named for the file it becomes.
    static var samples: [(name: String, bytes: [UInt8])] {
        [
            ("static-executable", MalformedELF.staticExecutable().bytes()),
            ("static-pie", MalformedELF.staticPIE().bytes()),
            ("kernel", MalformedELF.kernel().bytes()),
            ("empty-file", MalformedELF.emptyFile()),
            ("truncated-header", MalformedELF.truncatedHeader()),
            ("bad-magic", MalformedELF.badMagic()),
            ("wrong-class", MalformedELF.wrongClass()),
            ("wrong-data-encoding", MalformedELF.wrongDataEncoding()),
            ("wrong-version", MalformedELF.wrongVersion()),
            ("wrong-machine", MalformedELF.wrongMachine()),
            ("et-rel", MalformedELF.unsupportedType(1)),
            ("et-core", MalformedELF.unsupportedType(4)),
            ("wrong-phentsize", MalformedELF.wrongProgramHeaderEntrySize()),
            ("too-many-program-headers", MalformedELF.tooManyProgramHeaders()),
            ("program-headers-past-eof", MalformedELF.programHeadersPastEndOfFile()),
            ("program-headers-offset-wrapping", MalformedELF.programHeadersOffsetWrapping()),
            ("dynamically-linked", MalformedELF.dynamicallyLinked()),
            ("no-loadable-segment", MalformedELF.noLoadableSegment()),
            ("only-empty-load-segments", MalformedELF.onlyEmptyLoadSegments()),
            ("segment-past-eof", MalformedELF.segmentPastEndOfFile()),
            ("segment-offset-wrapping", MalformedELF.segmentOffsetWrapping()),
            ("filesz-exceeds-memsz", MalformedELF.segmentFileSizeExceedsMemorySize()),
            ("segment-address-wrapping", MalformedELF.segmentAddressWrapping()),
            ("segment-in-kernel-half", MalformedELF.segmentInKernelHalf()),
            ("segment-straddling-user-limit", MalformedELF.segmentStraddlingUserLimit()),
            ("segment-below-minimum-address", MalformedELF.segmentBelowMinimumAddress()),
            ("segments-overlap", MalformedELF.segmentsOverlap()),
            ("segments-sharing-a-page", MalformedELF.segmentsSharingAPage()),
            ("segment-offset-not-congruent", MalformedELF.segmentOffsetNotCongruent()),
            ("image-larger-than-64mib", MalformedELF.imageLargerThan64MiB()),
            ("entry-in-data-segment", MalformedELF.entryInDataSegment()),
            ("entry-outside-every-segment", MalformedELF.entryOutsideEverySegment()),
            ("kernel-not-executable", MalformedELF.kernelNotExecutable()),
            ("kernel-segment-address-mismatch", MalformedELF.kernelSegmentAddressMismatch()),
            ("kernel-below-window", MalformedELF.kernelBelowWindow()),
            ("kernel-past-window", MalformedELF.kernelPastWindow()),
        ]
    }

    static func main() {
        guard CommandLine.arguments.count == 2 else {
            fputs("usage: seed-corpus <directory>\n", stderr)
            exit(2)
        }
        let directory = CommandLine.arguments[1]
        for sample in samples {
            let path = directory + "/" + sample.name
            guard let file = fopen(path, "wb") else {
                fputs("seed-corpus: cannot create \(path)\n", stderr)
                exit(1)
            }
            let written = sample.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == sample.bytes.count else {
                fputs("seed-corpus: cannot write \(path)\n", stderr)
                exit(1)
            }
        }
        print("seed-corpus: \(samples.count) generated samples in \(directory)")
    }
}
