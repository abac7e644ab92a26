import Glibc

@testable import Hypervisor

extension HostFileTable {
    /// The first 64 bytes of a guest path's file as text, or nil when it cannot be opened or read
    /// (the sandbox tests' probe).
    func contents(of path: String) -> String? {
        let handle = open(path: Array(path.utf8), flags: O_RDONLY, mode: 0)
        guard handle >= 0 else { return nil }
        defer { _ = close(handle: Int32(handle)) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(handle: Int32(handle), into: $0, offset: -1) }
        return count >= 0 ? String(decoding: buffer[0..<Int(count)], as: UTF8.self) : nil
    }
}
