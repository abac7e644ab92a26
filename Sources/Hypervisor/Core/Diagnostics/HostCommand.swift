import Glibc

/// Runs a host tool (objdump) and captures its standard output, without
/// Foundation, for diagnostics only.
enum HostCommand {
    /// Runs `path` with `arguments`; nil if it cannot be started or fails.
    static func output(_ path: String, _ arguments: [String]) -> String? {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipeEnds[0], &chunk, chunk.count)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Disassembles the faulting instruction with binutils' objdump.
public enum Disassembler {
    static let objdump = "/usr/bin/objdump"

    /// The first instruction in `bytes` (placed at `address`), as objdump prints it,
    /// e.g. "movaps (%rsp),%xmm0"; nil when objdump is missing or the bytes do not decode.
    public static func firstInstruction(_ bytes: [UInt8], at address: UInt64) -> String? {
        guard !bytes.isEmpty, access(objdump, X_OK) == 0 else { return nil }
        var template = Array("/tmp/unikernel-insn-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard let output = HostCommand.output(objdump, [
            "-D", "-b", "binary", "-m", "i386:x86-64", "--adjust-vma=0x" + String(address, radix: 16), path,
        ]) else { return nil }
        let prefix = String(address, radix: 16) + ":"
        for line in output.split(separator: "\n") where line.trimmingCharacters(in: " \t").hasPrefix(prefix) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            let text = fields[2...].joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            return text.isEmpty || text.hasPrefix("(bad)") ? nil : text
        }
        return nil
    }
}

extension StringProtocol {
    /// The string without leading and trailing characters from `set`.
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
