/// Puts segments' file bytes into fresh, all-zero guest memory the way Linux's `elf_map`
/// does: by mapping the file's pages there (private, copy-on-write), so that a start reads and
/// copies nothing, and a page the guest never touches costs nothing. A segment whose pages
/// cannot be mapped (its file offset and address disagree within a page, it shares a page with
/// another segment, the file is not mapped, or mapping failed) is copied instead, and so is a
/// writable one: its pages would be copied on their first write anyway, and on kvm-pvm a page
/// first read and then written costs the guest two shadow-page faults instead of one.
///
/// As on Linux, a mapped segment's first page also shows the file bytes before the segment,
/// and its last page the bytes after it, unless the segment has zero-filled memory after its
/// file bytes (.bss): then the rest of that page is zeroed (Linux's `padzero`).
public enum FilePagePlacement {
    /// Maps `destination.count` bytes of `file` from the page-aligned `fileOffset` over the
    /// page-aligned `destination` (which lies in memory the caller owns); false: not mapped,
    /// `destination` left as it was (zero), and the bytes are copied instead.
    public typealias PageMapper = (_ file: Int32, _ fileOffset: Int, _ destination: UnsafeMutableRawBufferPointer) -> Bool

    /// One segment to place: offsets relative to the start of the destination buffer.
    struct Segment {
        var destination: Int
        var fileOffset: Int
        var fileSize: Int
        var memorySize: Int
        var writable: Bool
    }

    static let pageSize = 4096

    /// Places `segments` of `file` into `destination` (all zero, and its pages all the caller's
    /// to replace), mapping through `mapPages` where it can. Returns the bytes mapped rather
    /// than copied. Every segment must lie inside `destination` and its file bytes inside the file.
    @discardableResult
    static func place(_ segments: [Segment], of file: FileBytes, into destination: UnsafeMutableRawBufferPointer,
                      mapPages: PageMapper?) -> Int {
        var mapped = 0
        for (index, segment) in segments.enumerated() where segment.fileSize > 0 {
            if let mapPages, let descriptor = file.descriptor,
               let pages = mappablePages(of: index, in: segments, destinationSize: destination.count,
                                         destinationAligned: Int(bitPattern: destination.baseAddress) % pageSize == 0) {
                let target = UnsafeMutableRawBufferPointer(rebasing: destination[pages])
                if mapPages(descriptor, segment.fileOffset - (segment.destination - pages.lowerBound), target) {
                    let fileEnd = segment.destination + segment.fileSize
                    if segment.memorySize > segment.fileSize, fileEnd < pages.upperBound {
                        UnsafeMutableRawBufferPointer(rebasing: destination[fileEnd..<pages.upperBound])
                            .initializeMemory(as: UInt8.self, repeating: 0)
                    }
                    mapped += pages.count
                    continue
                }
            }
            file[segment.fileOffset..<(segment.fileOffset + segment.fileSize)].withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: destination[segment.destination..<(segment.destination + $0.count)])
                    .copyMemory(from: $0)
            }
        }
        return mapped
    }

    /// The page range of `destination` that segment `index`'s file bytes may be mapped over, or
    /// nil: the segment must be read-only, the file offset and the destination must agree
    /// within a page, and no other segment may touch those pages.
    static func mappablePages(of index: Int, in segments: [Segment], destinationSize: Int,
                              destinationAligned: Bool) -> Range<Int>? {
        let segment = segments[index]
        guard destinationAligned, !segment.writable, segment.destination % pageSize == segment.fileOffset % pageSize else { return nil }
        let start = segment.destination - segment.destination % pageSize
        let end = roundUp(segment.destination + segment.fileSize)
        guard end <= destinationSize else { return nil }
        for (other, neighbour) in segments.enumerated() where other != index && neighbour.memorySize > 0 {
            let otherStart = neighbour.destination - neighbour.destination % pageSize
            let otherEnd = roundUp(neighbour.destination + neighbour.memorySize)
            if otherStart < end, start < otherEnd { return nil }
        }
        return start..<end
    }

    static func roundUp(_ value: Int) -> Int { (value + pageSize - 1) / pageSize * pageSize }
}
