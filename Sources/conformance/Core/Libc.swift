/// The libc dimension of the suite: which C library (or none) a fixture is built against.
///
/// Each flavour has its own source folder under `Fixtures/`, its own comment syntax for
/// header directives and its own compiler command. C sources are shared, never copied: a
/// source in `musl/` or `glibc/` is built for the libcs its `conformance-libcs:` directive
/// lists (default: its folder's libc only), so each C libc looks in both C folders.
/// Go is a row of its own: its runtime makes its own syscalls and uses no C library.
public enum Libc: String, CaseIterable, Sendable, Codable, Comparable {
    /// Hand-written assembly with raw syscalls, no C library.
    case asm
    /// C built with `musl-gcc -static`.
    case musl
    /// C built with `gcc -static` (glibc).
    case glibc
    /// Go built with `CGO_ENABLED=0 go build` (a static binary; no C library at all).
    case go

    /// The folders under `Fixtures/` that hold this flavour's sources.
    /// Its own folder first; the C libcs also read the other C folder, where a source is
    /// taken only if its `conformance-libcs:` directive names this libc.
    public var sourceFolders: [String] {
        switch self {
        case .asm: ["asm"]
        case .musl: ["musl", "glibc"]
        case .glibc: ["glibc", "musl"]
        case .go: ["go"]
        }
    }

    /// The file extension of this flavour's C, assembly or Go sources.
    public var sourceExtension: String {
        switch self {
        case .asm: "S"
        case .musl, .glibc: "c"
        case .go: "go"
        }
    }

    /// Every file extension this flavour builds: C++ (`.cpp`, `g++ -static`) only for glibc,
    /// since musl-tools ships no C++ library.
    public var sourceExtensions: [String] {
        switch self {
        case .asm, .musl, .go: [sourceExtension]
        case .glibc: [sourceExtension, SourceLanguage.cplusplus.fileExtension]
        }
    }

    /// The marker that starts a header comment line in this flavour's sources.
    public var commentPrefix: String {
        switch self {
        case .asm: "#"
        case .musl, .glibc, .go: "//"
        }
    }

    /// The compiler and its flags, before `-o <output> <source>`. Go's settings (no cgo, caches
    /// under the build folder) are environment variables: see `FixtureBuilder.compilerEnvironment`.
    public var compilerCommand: [String] {
        switch self {
        case .asm: ["gcc", "-nostdlib", "-static"]
        case .musl: ["musl-gcc", "-static"]
        case .glibc: ["gcc", "-static"]
        case .go: ["go", "build"]
        }
    }

    /// The compiler and its flags for a source language and link mode, before
    /// `-o <output> <source>` (see `FixtureBuilder.command(for:)` for the whole command).
    public func compilerCommand(language: SourceLanguage, link: LinkMode) -> [String] {
        var command = compilerCommand
        if language == .cplusplus { command[0] = "g++" }
        if link == .staticPIE { command = command.map { $0 == "-static" ? "-static-pie" : $0 } }
        if link == .dynamic { command = command.filter { $0 != "-static" } }
        if link == .sharedLibrary { command = command.filter { $0 != "-static" } + ["-shared", "-fPIC"] }
        return command
    }

    /// The Debian package that provides a compiler, for error messages.
    public static func package(providing compiler: String) -> String? {
        switch compiler {
        case "g++": "g++"
        case "musl-gcc": "musl-tools"
        case "gcc": "gcc libc6-dev"
        case "go": "golang-go"
        default: nil
        }
    }

    /// The Debian package that provides this flavour's compiler, for error messages.
    public var compilerPackage: String {
        switch self {
        case .asm: "gcc"
        case .musl: "musl-tools"
        case .glibc: "gcc libc6-dev"
        case .go: "golang-go"
        }
    }

    public static func < (lhs: Libc, rhs: Libc) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The language a fixture source is written in, from its file extension.
public enum SourceLanguage: String, Sendable, Equatable, CaseIterable {
    case assembly
    case c
    case cplusplus = "c++"
    case go

    /// The file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .assembly: "S"
        case .c: "c"
        case .cplusplus: "cpp"
        case .go: "go"
        }
    }

    /// The language of a source path, by extension (C when unknown).
    public init(path: String) {
        let ext = path.split(separator: "/").last.flatMap { $0.split(separator: ".").last }.map(String.init) ?? ""
        self = SourceLanguage.allCases.first { $0.fileExtension == ext } ?? .c
    }
}
