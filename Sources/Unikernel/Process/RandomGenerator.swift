/// The source behind getrandom(2): xoshiro256** seeded from the host's 16
/// AT_RANDOM bytes (boot_info.random) via splitmix64. Not a cryptographic
/// generator; good enough for hash seeds and stack-protector canaries.
struct RandomGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed first: UInt64, _ second: UInt64) {
        var mixer = first ^ (second &* 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}
