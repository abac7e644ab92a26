import Foundation

/// What a run left in its working directory: every entry by relative path, with its kind
/// and contents. Native and guest runs are compared on this.
public struct FileTree: Sendable, Equatable {
    /// One directory entry, with what is compared about it.
    public enum Entry: Sendable, Equatable {
        case file(contents: [UInt8])
        case directory
        case symlink(target: String)
        /// A FIFO, socket or device: only its kind is compared.
        case other(kind: String)
        /// A program placed before the run (`conformance-programs:`) that the run left as it
        /// was placed: still a regular file with the same bytes (which are not kept).
        case placedProgram

        /// The entry's kind, for messages.
        public var kind: String {
            switch self {
            case .file: "file"
            case .directory: "directory"
            case .symlink: "symlink"
            case let .other(kind): kind
            case .placedProgram: "placed program (unchanged)"
            }
        }
    }

    /// Entries by path relative to the run's directory (`a/b.txt`), directories included.
    public var entries: [String: Entry]

    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    /// Records everything under `root`, without following symlinks.
    public static func snapshot(of root: String) throws(RunError) -> FileTree {
        var tree = FileTree()
        var pending = [""]
        let fileManager = FileManager.default
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try fileManager.contentsOfDirectory(atPath: directory)
            } catch {
                throw .snapshotFailed(path: directory, reason: error.localizedDescription)
            }
            for name in names {
                let path = relative.isEmpty ? name : relative + "/" + name
                let absolute = root + "/" + path
                let type = (try? fileManager.attributesOfItem(atPath: absolute))?[.type] as? FileAttributeType
                switch type {
                case .typeDirectory?:
                    tree.entries[path] = .directory
                    pending.append(path)
                case .typeRegular?:
                    guard let data = fileManager.contents(atPath: absolute) else {
                        throw .snapshotFailed(path: absolute, reason: "unreadable file")
                    }
                    tree.entries[path] = .file(contents: [UInt8](data))
                case .typeSymbolicLink?:
                    let target = (try? fileManager.destinationOfSymbolicLink(atPath: absolute)) ?? ""
                    tree.entries[path] = .symlink(target: target)
                default:
                    tree.entries[path] = .other(kind: type?.rawValue ?? "unknown")
                }
            }
        }
        return tree
    }

    /// How `guest` differs from this (native) tree, one sentence per entry, sorted by path;
    /// empty when they match. Files in `contentsIgnored` must exist with the same kind on
    /// both sides, but their contents are not compared.
    public func differences(from guest: FileTree, contentsIgnored: Set<String> = []) -> [String] {
        let paths = Set(entries.keys).union(guest.entries.keys).sorted()
        return paths.compactMap { path in
            switch (entries[path], guest.entries[path]) {
            case let (native?, nil):
                "\(path): missing in guest (native has a \(native.kind)\(native.sizeNote))"
            case let (nil, extra?):
                "\(path): only in guest (a \(extra.kind)\(extra.sizeNote))"
            case let (native?, guest?) where native.kind != guest.kind:
                "\(path): native has a \(native.kind), guest a \(guest.kind)"
            case let (.file(native)?, .file(guest)?) where native != guest && !contentsIgnored.contains(path):
                "\(path): contents differ (\(ByteDiff.describe(native: native, guest: guest)))"
            case let (.symlink(native)?, .symlink(guest)?) where native != guest:
                "\(path): symlink to \"\(native)\" natively, to \"\(guest)\" in guest"
            default:
                nil
            }
        }
    }
}

extension FileTree.Entry {
    fileprivate var sizeNote: String {
        if case let .file(contents) = self { return " of \(contents.count) bytes" }
        return ""
    }
}
