import Foundation
import Glibc

extension BuiltTools {
    /// Writes `bytes` to the file `name` in the scratch directory and returns its path.
    func write(_ bytes: [UInt8], named name: String) throws -> String {
        let file = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    /// Whether `runHypervisorUnprivileged` can make permission bits matter: always for an
    /// ordinary user; for root only through `setpriv`, which drops the capabilities
    /// (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`) that let root read any file.
    static var canRunUnprivileged: Bool {
        geteuid() != 0 || FileManager.default.isExecutableFile(atPath: setpriv.path)
    }

    private static let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")

    /// Runs the hypervisor so that file permission bits apply to it: as root, under `setpriv`
    /// without `CAP_DAC_OVERRIDE` and `CAP_DAC_READ_SEARCH` (still uid 0, so the root-owned
    /// build products stay readable).
    func runHypervisorUnprivileged(_ arguments: [String]) throws -> Result {
        guard geteuid() == 0 else { return try runHypervisor(arguments) }
        let drop = "-dac_override,-dac_read_search"
        return try run(
            Self.setpriv,
            ["--inh-caps=\(drop)", "--bounding-set=\(drop)", "--", hypervisor.path, "--dir", scratch.path] + arguments)
    }
}
