/// Turns the paths an application passes into absolute, normalised guest
/// paths ("." and ".." folded, repeated slashes dropped) relative to the
/// current directory or an open directory. The host still confines every
/// path to the sandbox; this only gives relative paths Linux's meaning.
enum PathResolver {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// `path` resolved against `base` (an absolute normalised path) unless it is absolute.
    static func resolve(_ path: [UInt8], relativeTo base: [UInt8]) -> [UInt8] {
        var components: [[UInt8]] = []
        if path.first != slash { append(base, to: &components) }
        append(path, to: &components)
        var result: [UInt8] = []
        for component in components {
            result.append(slash)
            result.append(contentsOf: component)
        }
        if result.isEmpty { result.append(slash) }
        return result
    }

    private static func append(_ path: [UInt8], to components: inout [[UInt8]]) {
        var current: [UInt8] = []
        for byte in path + [slash] {
            if byte != slash {
                current.append(byte)
                continue
            }
            if current == [dot] || current.isEmpty {
                // skip
            } else if current == [dot, dot] {
                if !components.isEmpty { components.removeLast() }
            } else {
                components.append(current)
            }
            current = []
        }
    }
}
