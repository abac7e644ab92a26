import Glibc
import Testing

@testable import Hypervisor

extension LoaderTests {
    /// Images placed in guest memory by mapping their file pages, and where that is refused.
    @Suite("File page placement")
    struct FilePagePlacementTests {
        typealias Segment = FilePagePlacement.Segment

        @Test func mapsTheWholePagesOfAPageAlignedSegment() {
            let segments = [Segment(destination: 0x1010, fileOffset: 0x3010, fileSize: 0x1100, memorySize: 0x1100, writable: false)]
            #expect(FilePagePlacement.mappablePages(of: 0, in: segments, destinationSize: 0x10000, destinationAligned: true)
                == 0x1000..<0x3000)
        }

        @Test func refusesPagesAnotherSegmentTouches() {
            // Text ends and data starts in the page at 0x2000: neither may map it.
            let segments = [Segment(destination: 0x1000, fileOffset: 0x1000, fileSize: 0x1800, memorySize: 0x1800, writable: false),
                            Segment(destination: 0x2900, fileOffset: 0x2900, fileSize: 0x100, memorySize: 0x800, writable: false)]
            #expect(FilePagePlacement.mappablePages(of: 0, in: segments, destinationSize: 0x10000, destinationAligned: true) == nil)
            #expect(FilePagePlacement.mappablePages(of: 1, in: segments, destinationSize: 0x10000, destinationAligned: true) == nil)
        }

        @Test func copiesWritableSegments() {
            let segments = [Segment(destination: 0x1000, fileOffset: 0x1000, fileSize: 0x100, memorySize: 0x2000, writable: true)]
            #expect(FilePagePlacement.mappablePages(of: 0, in: segments, destinationSize: 0x10000, destinationAligned: true) == nil)
        }

        @Test func refusesOffsetsThatDisagreeWithinAPage() {
            let segments = [Segment(destination: 0x1000, fileOffset: 0x1010, fileSize: 0x100, memorySize: 0x100, writable: false)]
            #expect(FilePagePlacement.mappablePages(of: 0, in: segments, destinationSize: 0x10000, destinationAligned: true) == nil)
            #expect(FilePagePlacement.mappablePages(of: 0, in: [Segment(destination: 0x1000, fileOffset: 0x1000, fileSize: 0x100,
                                                                     memorySize: 0x100, writable: false)],
                                                   destinationSize: 0x10000, destinationAligned: false) == nil)
        }

        /// The static sample placed by mapping matches the copied image in every segment byte;
        /// the mapped pages hold the file around the segments (as Linux maps them), the copied
        /// writable segment only its bytes, its .bss zero; writes stay private.
        @Test func mappedImageMatchesTheCopiedOne() throws {
            let bytes = MalformedELF.staticExecutable().bytes()
            let path = "/tmp/file-page-placement-\(getpid()).elf"
            let out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            #expect(out >= 0)
            defer { unlink(path) }
            #expect(bytes.withUnsafeBytes { write(out, $0.baseAddress, $0.count) } == bytes.count)
            close(out)

            let contents = try #require(FileBytes.mapping(open(path, O_RDONLY | O_CLOEXEC)))
            #expect(Array(contents) == bytes)
            let image = try ApplicationImage.plan(contents: contents, path: path, loadBias: 0, maxImageSize: 1 << 20)
            let memory = try GuestMemory(size: 4 << 20)
            let destination = try memory.region(at: 0x10_0000, length: image.imageSize)
            let mapped = image.place(into: destination, mapPages: { fd, offset, pages in
                memory.mapFilePages(fd, fileOffset: offset, over: pages)
            })
            #expect(mapped == 0x2000)  // the headers' and the code's page; the writable data is copied

            let copied = image.materialized()
            let placed = Array(destination)
            for segment in image.segments {
                let start = Int(segment.virtualAddress - image.imageVirtualAddress)
                #expect(placed[start..<(start + Int(segment.memorySize))] == copied[start..<(start + Int(segment.memorySize))])
            }
            #expect(Array(placed[0x120..<0x1000]) == Array(bytes[0x120..<0x1000]))  // the file after the headers
            #expect(placed[0x2010..<0x4000].allSatisfy { $0 == 0 })  // .bss and the rest of its page

            destination[0x1000] = 0x5a  // private: the file keeps its byte
            #expect(contents[0x1000] == bytes[0x1000])
        }

        @Test func memoryRefusesPagesOutsideItsRAM() throws {
            let memory = try GuestMemory(size: 2 << 20)
            let outside = UnsafeMutableRawBufferPointer(start: memory.hostBase + (2 << 20), count: 4096)
            #expect(!memory.mapFilePages(0, fileOffset: 0, over: outside))
            let unaligned = try memory.region(at: 0x800, length: 4096)
            #expect(!memory.mapFilePages(0, fileOffset: 0, over: unaligned))
        }
    }
}
