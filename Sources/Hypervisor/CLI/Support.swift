import Glibc
import Hypervisor

/// The hypervisor process's own environment, in `environ` order.
struct ProcessEnvironment {
    var entries: [String]

    static func current() -> ProcessEnvironment {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return ProcessEnvironment(entries: entries)
    }

    func value(_ key: String) -> String? {
        entries.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}

/// Finds the kernel image a build placed beside the hypervisor.
enum KernelLocator {
    static let imageName = "unikernel.elf"

    /// `<dir of this executable>/unikernel.elf`, else `<ancestor>/kernel/unikernel.elf`
    /// for the first ancestor that has one (the Makefile's `.build/kernel/`).
    static func defaultKernel() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard length > 0 else { return nil }
        var directory = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        directory = String(directory[..<(directory.lastIndex(of: "/") ?? directory.endIndex)])
        if exists(directory + "/" + imageName) { return directory + "/" + imageName }
        while let slash = directory.lastIndex(of: "/"), !directory.isEmpty {
            let candidate = directory + "/kernel/" + imageName
            if exists(candidate) { return candidate }
            directory = String(directory[..<slash])
        }
        return nil
    }

    private static func exists(_ path: String) -> Bool { access(path, R_OK) == 0 }
}

