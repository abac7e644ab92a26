/// The libc dimension of the suite: which C library (or none) a fixture is built against.
///
/// Each flavour has its own source folder under `Fixtures/`, its own comment syntax for
/// header directives and its own compiler command. A later shared C folder (one source built
/// for both musl and glibc) adds a source folder to `musl` and `glibc`; nothing else changes.
public enum Libc: String, CaseIterable, Sendable, Codable, Comparable {
    /// Hand-written assembly with raw syscalls, no C library.
    case asm
    /// C built with `musl-gcc -static`.
    case musl
    /// C built with `gcc -static` (glibc).
    case glibc

    /// The folders under `Fixtures/` that hold this flavour's sources.
    public var sourceFolders: [String] { [rawValue] }

    /// The file extension of this flavour's sources.
    public var sourceExtension: String {
        switch self {
        case .asm: "S"
        case .musl, .glibc: "c"
        }
    }

    /// The marker that starts a header comment line in this flavour's sources.
    public var commentPrefix: String {
        switch self {
        case .asm: "#"
        case .musl, .glibc: "//"
        }
    }

    /// The compiler and its flags, before `-o <output> <source>`.
    public var compilerCommand: [String] {
        switch self {
        case .asm: ["gcc", "-nostdlib", "-static"]
        case .musl: ["musl-gcc", "-static"]
        case .glibc: ["gcc", "-static"]
        }
    }

    /// The Debian package that provides this flavour's compiler, for error messages.
    public var compilerPackage: String {
        switch self {
        case .asm: "gcc"
        case .musl: "musl-tools"
        case .glibc: "gcc libc6-dev"
        }
    }

    public static func < (lhs: Libc, rhs: Libc) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
