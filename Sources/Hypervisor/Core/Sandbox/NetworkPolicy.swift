import Glibc

/// What the guest's sockets may do: `--net host|none`, `--net-allow ADDR[:PORT]` and
/// `--net-listen PORT`, plus the private namespace of its abstract AF_UNIX names.
///
/// The lists are independent. An empty `destinations` list lets internet sockets reach any
/// address (as the program would run directly); a non-empty one limits `connect`, `sendto`
/// and `sendmsg` to the listed addresses (and ports, when given). An empty `listenPorts` list
/// lets a socket bind any port; a non-empty one limits binding a named port, and listening,
/// to the listed ports (binding port 0 for a client's ephemeral port stays allowed, but a
/// listen on it is refused). AF_UNIX sockets are never limited by them: they live in the
/// guest's own file system or namespace.
public struct NetworkPolicy: Equatable, Sendable {
    /// `--net`.
    public enum Mode: String, Equatable, Sendable {
        /// The guest reaches what the program would reach run directly.
        case host
        /// AF_INET and AF_INET6 sockets are refused (EACCES, as under a seccomp policy).
        case none
    }

    /// One `--net-allow` entry: an IPv4 or IPv6 address (4 or 16 bytes, network order) and
    /// an optional port.
    public struct Destination: Equatable, Sendable, CustomStringConvertible {
        public var address: [UInt8]
        public var port: UInt16?

        public var description: String {
            let text = NetworkPolicy.addressText(address)
            guard let port else { return text }
            return address.count == 16 ? "[\(text)]:\(port)" : "\(text):\(port)"
        }
    }

    public var mode = Mode.host
    /// `--net-allow`: where internet sockets may connect and send (empty: anywhere).
    public var destinations: [Destination] = []
    /// `--net-allow` as given (for the runner that continues this one after an execve).
    public var allowTexts: [String] = []
    /// `--net-listen`: the ports internet sockets may bind and listen on (empty: any).
    public var listenPorts: [UInt16] = []
    /// What the guest's abstract AF_UNIX names are prefixed with on the host, so they are
    /// shared by the guest's processes and by nothing else (empty: not yet chosen).
    public var abstractNamespace = ""

    public init(mode: Mode = .host) { self.mode = mode }

    public static let host = NetworkPolicy()
    public static let none = NetworkPolicy(mode: .none)

    // MARK: parsing

    /// Adds one `--net-allow` entry: a numeric address or a host name (every address it
    /// resolves to), with `:PORT` (`[v6]:PORT` for IPv6 with a port). Returns nil when it
    /// is not usable, with the reason.
    public mutating func allow(_ text: String) -> String? {
        var host = Substring(text)
        var port: UInt16?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return "missing ']' in '\(text)'" }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex) ..< close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = UInt16(rest.dropFirst()) else { return "invalid port in '\(text)'" }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.lastIndex(of: ":") {
            guard let value = UInt16(host[host.index(after: colon)...]) else { return "invalid port in '\(text)'" }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { return "missing address in '\(text)'" }
        let addresses = NetworkPolicy.resolve(String(host))
        guard !addresses.isEmpty else { return "cannot resolve '\(host)'" }
        for address in addresses where !destinations.contains(Destination(address: address, port: port)) {
            destinations.append(Destination(address: address, port: port))
        }
        allowTexts.append(text)
        return nil
    }

    /// Adds one `--net-listen` port; nil when it is not a port number (1-65535).
    public mutating func allowListening(_ text: String) -> String? {
        guard let port = UInt16(text), port > 0 else { return "invalid port '\(text)' (expected 1-65535)" }
        if !listenPorts.contains(port) { listenPorts.append(port) }
        return nil
    }

    /// The numeric addresses `host` names: itself when numeric, else what the host's resolver
    /// answers for it.
    static func resolve(_ host: String) -> [[UInt8]] {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return [withUnsafeBytes(of: &v4) { Array($0) }] }
        if inet_pton(AF_INET6, host, &v6) == 1 { return [withUnsafeBytes(of: &v6) { Array($0) }] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var result: [[UInt8]] = []
        var cursor = list
        while let entry = cursor?.pointee {
            if let address = entry.ai_addr,
               let (bytes, _) = NetworkPolicy.internetAddress(UnsafeRawBufferPointer(start: address, count: Int(entry.ai_addrlen))),
               !result.contains(bytes) {
                result.append(bytes)
            }
            cursor = entry.ai_next
        }
        return result
    }

    // MARK: decisions

    /// The address (4 or 16 bytes) and port of a sockaddr_in or sockaddr_in6; nil for another
    /// family or a short address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 one.
    static func internetAddress(_ bytes: UnsafeRawBufferPointer) -> ([UInt8], UInt16)? {
        guard bytes.count >= 2 else { return nil }
        let family = Int32(bytes.loadUnaligned(as: UInt16.self))
        let port = bytes.count >= 4 ? UInt16(bytes[2]) << 8 | UInt16(bytes[3]) : 0
        if family == AF_INET, bytes.count >= 8 { return (Array(bytes[4 ..< 8]), port) }
        guard family == AF_INET6, bytes.count >= 24 else { return nil }
        let address = Array(bytes[8 ..< 24])
        if address[0 ..< 10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            return (Array(address[12 ..< 16]), port)
        }
        return (address, port)
    }

    /// Whether an internet socket may connect or send to `bytes` (a sockaddr): always without
    /// a `--net-allow` list or for a non-internet address (AF_UNSPEC dissolves an association).
    func permitsDestination(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !destinations.isEmpty, let (address, port) = NetworkPolicy.internetAddress(bytes) else { return true }
        return destinations.contains { $0.address == address && ($0.port == nil || $0.port == port) }
    }

    /// Whether an internet socket may bind `bytes` (a sockaddr): port 0 (an ephemeral port)
    /// always, a named port when `--net-listen` lists it or there is no list.
    func permitsBinding(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !listenPorts.isEmpty, let (_, port) = NetworkPolicy.internetAddress(bytes), port != 0 else { return true }
        return listenPorts.contains(port)
    }

    /// Whether a socket bound to `port` may listen.
    func permitsListening(port: UInt16) -> Bool { listenPorts.isEmpty || listenPorts.contains(port) }

    /// "a.b.c.d" or the IPv6 text of a 4- or 16-byte address.
    static func addressText(_ address: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 64)
        let family = address.count == 16 ? AF_INET6 : AF_INET
        let ok = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) } != nil
        return ok ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }

    /// "ADDR:PORT" for a sockaddr_in or sockaddr_in6 (refusal messages).
    static func describe(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let (address, port) = internetAddress(bytes) else { return "an address" }
        return Destination(address: address, port: port).description
    }

    /// The command-line options that give this policy to the runner that continues this one.
    var commandLineOptions: [String] {
        var options: [String] = []
        if mode != .host { options += ["--net", mode.rawValue] }
        for text in allowTexts { options += ["--net-allow", text] }
        for port in listenPorts { options += ["--net-listen", "\(port)"] }
        if !abstractNamespace.isEmpty { options += ["--net-namespace", abstractNamespace] }
        return options
    }

    /// A fresh abstract namespace: the runner's pid and random bits, so two guests (or a
    /// guest and a host program) never meet by accident.
    public static func freshNamespace() -> String {
        let random = UInt32.random(in: 0 ... .max)
        return "uk" + String(getpid(), radix: 16) + "." + String(random, radix: 16) + "/"
    }
}
