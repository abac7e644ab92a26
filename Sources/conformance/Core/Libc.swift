/// The libc dimension of the suite: which C library (or none) a fixture is built against.
///
/// Each flavour has its own source folder under `Fixtures/`, its own comment syntax for
/// header directives and its own compiler command. C sources are shared, never copied: a
/// source in `musl/` or `glibc/` is built for the libcs its `conformance-libcs:` directive
/// lists (default: its folder's libc only), so each C libc looks in both C folders.
public enum Libc: String, CaseIterable, Sendable, Codable, Comparable {
    /// Hand-written assembly with raw syscalls, no C library.
    case asm
    /// C built with `musl-gcc -static`.
    case musl
    /// C built with `gcc -static` (glibc).
    case glibc

    /// The folders under `Fixtures/` that hold this flavour's sources.
    /// Its own folder first; the C libcs also read the other C folder, where a source is
    /// taken only if its `conformance-libcs:` directive names this libc.
    public var sourceFolders: [String] {
        switch self {
        case .asm: ["asm"]
        case .musl: ["musl", "glibc"]
        case .glibc: ["glibc", "musl"]
        }
    }

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
