/// Decides whether the instructions that end right before a hot `syscall` can be moved into
/// a stub, and how (SyscallPatcher rewrites the site from the plan).
///
/// Pure logic over the site's bytes and the registers the trap saw, with no kernel state, so
/// the host's unit tests run it on byte sequences (KernelLogic). It decodes forward only, from
/// a candidate start to the `syscall`, and knows a small set of integer instructions exactly
/// (ModRM, SIB and displacement included); anything else ends the candidate. A candidate is
/// accepted only when:
///
/// - every instruction in it is one of those forms, none writes rcx, r11 or rsp (the stub
///   sets rcx and r11 after them; rsp must stay the caller's), none is a branch other than
///   a conditional jump (moved as a `jcc rel32` to the same target);
/// - its first instruction carries evidence that the start really is an instruction boundary
///   which ran before this `syscall`: the register it wrote still holds what it wrote (a
///   `mov $imm`, a register copy, a load from memory that still holds the value, a `lea`,
///   `xor r,r`), or a `cmp` against memory that a following `je`/`jne` fell through;
///   bytes that merely look like an instruction (the tail of a longer one) fail this;
/// - either its first instruction is at least 5 bytes long, so the `jmp rel32` lies inside
///   it and every later instruction and the `syscall` keep their bytes (code that jumps to
///   them runs the original code and traps), or it is a single 3-byte instruction whose
///   jump also covers the `syscall` (the stub's displacement then puts UD0 there).
enum SyscallSiteDecoder {
    /// The farthest a candidate start lies before the `syscall`.
    static let maximumChainBytes = 24
    /// Register numbers (ModRM order).
    static let rax = 0, rcx = 1, rsp = 4, r11 = 11

    /// Where a decoded memory operand points.
    struct MemoryOperand: Equatable {
        /// The base register, or nil for a rip-relative operand (then `displacement` is absolute).
        var base: Int?
        /// Whether an index register takes part (then the address is not checked).
        var indexed: Bool
        var displacement: Int64
    }

    /// What a start instruction's effect must have left in the registers or memory.
    enum Evidence: Equatable {
        case value(register: Int, equals: UInt64)
        case copy(register: Int, from: Int, width32: Bool)
        case load(register: Int, from: MemoryOperand, bytes: Int)
        case address(register: Int, of: MemoryOperand)
        case comparison(memory: MemoryOperand, bytes: Int, immediate: UInt64)
        case stored(memory: MemoryOperand, bytes: Int, value: UInt64)
    }

    /// One decoded instruction.
    struct Instruction: Equatable {
        var address: UInt64
        var bytes: [UInt8]
        /// Registers written (bit n = register n).
        var writes: UInt32
        var writesMemory: Bool
        /// Offset of a rip-relative disp32 in `bytes`.
        var ripDisplacementOffset: Int?
        /// A conditional jump: its condition code (0-15) and absolute target.
        var jump: (condition: UInt8, target: UInt64)?
        var evidence: Evidence?

        static func == (a: Instruction, b: Instruction) -> Bool {
            a.address == b.address && a.bytes == b.bytes && a.jump?.condition == b.jump?.condition && a.jump?.target == b.jump?.target
        }
    }

    /// How a site is rewritten.
    struct Plan {
        /// The first byte the `jmp rel32` overwrites.
        var start: UInt64
        var instructions: [Instruction]
        /// Whether the jump covers the `syscall` (a single 3-byte instruction).
        var coversSyscall: Bool

        /// The instructions as the stub at `stub` runs them: rip-relative displacements and
        /// jump targets rebased; nil when something would be out of rel32 reach.
        func relocated(at stub: UInt64) -> [UInt8]? {
            var code: [UInt8] = []
            for instruction in instructions {
                let here = stub &+ UInt64(code.count)
                if let jump = instruction.jump {
                    guard let displacement = rel32(from: here &+ 6, to: jump.target) else { return nil }
                    code += [0x0F, 0x80 | jump.condition] + littleEndian32(displacement)
                } else if let offset = instruction.ripDisplacementOffset {
                    let length = UInt64(instruction.bytes.count)
                    let target = instruction.address &+ length &+ UInt64(bitPattern: Int64(readInt32(instruction.bytes, offset)))
                    guard let displacement = rel32(from: here &+ length, to: target) else { return nil }
                    var bytes = instruction.bytes
                    bytes.replaceSubrange(offset..<offset + 4, with: littleEndian32(displacement))
                    code += bytes
                } else {
                    code += instruction.bytes
                }
            }
            return code
        }
    }

    /// The plan for the `syscall` at `syscallAddress`, given the `count` bytes before it in
    /// `bytes` (bytes[bytes.count - 1] is the byte right before the `syscall`; a start needs
    /// the byte before it too, so the first byte is never one), the registers
    /// at the trap (`registers[n]` nil when unknown: rcx and r11) and a reader of
    /// application memory (`load(address, size)`, nil when unreadable). Nil: keep trapping.
    ///
    /// The nearest provable start wins: every instruction boundary between the start and the
    /// `syscall` may be a jump target (a loop's head) that keeps running the original code, so
    /// the fewer there are the better. Only starts after `after` are tried (a site rewritten
    /// before that still traps); `coveringSyscall` says whether the 3-byte form's stub can
    /// be placed for this site.
    static func plan(before syscallAddress: UInt64, bytes: [UInt8], registers: [UInt64?], after: UInt64 = 0,
                     coveringSyscall: Bool = true, load: (UInt64, Int) -> UInt64?) -> Plan? {
        let count = bytes.count
        for distance in 1..<min(maximumChainBytes, count) {
            let start = syscallAddress &- UInt64(distance)
            guard start > after else { break }
            // A prefix byte right before the start could belong to the first instruction
            // (`41 b8 imm32` writes r8d, not eax): the bytes do not say which, so not here.
            guard !isPrefix(bytes[count - distance - 1]) else { continue }
            guard let chain = decodeChain(bytes, from: count - distance, base: syscallAddress &- UInt64(count)) else { continue }
            let keepsSyscall = chain[0].bytes.count >= 5
            let coversSyscall = coveringSyscall && distance == 3 && chain.count == 1 && chain[0].jump == nil
                && chain[0].ripDisplacementOffset == nil
            guard keepsSyscall || coversSyscall, proves(chain, registers: registers, load: load) else { continue }
            return Plan(start: start, instructions: chain, coversSyscall: !keepsSyscall)
        }
        return nil
    }

    /// REX, operand- and address-size, lock, repeat and segment prefixes.
    static func isPrefix(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x40...0x4F, 0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65: return true
        default: return false
        }
    }

    /// The instructions from `offset` to the end of `bytes`, when they decode exactly there
    /// and may be moved into a stub.
    static func decodeChain(_ bytes: [UInt8], from offset: Int, base: UInt64) -> [Instruction]? {
        var chain: [Instruction] = []
        var position = offset
        while position < bytes.count {
            guard let instruction = decode(bytes, at: position, base: base) else { return nil }
            let forbidden = UInt32(1) << rcx | UInt32(1) << r11 | UInt32(1) << rsp
            guard instruction.writes & forbidden == 0 else { return nil }
            chain.append(instruction)
            position += instruction.bytes.count
        }
        return position == bytes.count && !chain.isEmpty ? chain : nil
    }

    /// Whether the chain's first instruction left the evidence its form promises, untouched
    /// by the instructions after it.
    static func proves(_ chain: [Instruction], registers: [UInt64?], load: (UInt64, Int) -> UInt64?) -> Bool {
        guard let evidence = chain[0].evidence else { return false }
        let later = chain.dropFirst()
        let laterWrites = later.reduce(UInt32(0)) { $0 | $1.writes }
        let laterWritesMemory = later.contains { $0.writesMemory }
        func untouched(_ register: Int) -> Bool { laterWrites & (UInt32(1) << register) == 0 }
        func value(_ register: Int) -> UInt64? { untouched(register) ? registers[register] : nil }
        func address(_ memory: MemoryOperand) -> UInt64? {
            guard !memory.indexed else { return nil }
            guard let base = memory.base else { return UInt64(bitPattern: memory.displacement) }
            return value(base).map { $0 &+ UInt64(bitPattern: memory.displacement) }
        }
        switch evidence {
        case let .value(register, expected):
            return value(register) == expected
        case let .copy(register, source, width32):
            guard let destination = value(register) else { return false }
            if register == source { return true }
            guard untouched(source), let sourceValue = registers[source] else { return false }
            return destination == (width32 ? sourceValue & 0xFFFF_FFFF : sourceValue)
        case let .load(register, memory, size):
            // A load that overwrote its own base register leaves nothing to check the address by.
            // Later stores may stay (musl's clone stores to the new stack): a store that changed
            // the loaded location only makes the check fail, and the stub repeats both in order.
            guard memory.base != register, let destination = value(register), let at = address(memory),
                  let loaded = load(at, size) else { return false }
            return destination == loaded
        case let .address(register, memory):
            guard memory.base != register, let destination = value(register), let at = address(memory) else { return false }
            return destination == at
        case let .stored(memory, size, stored):
            guard !laterWritesMemory, let at = address(memory), let loaded = load(at, size) else { return false }
            return loaded == stored
        case let .comparison(memory, size, immediate):
            // Only as `cmp; je/jne` that fell through to the `syscall`.
            guard chain.count >= 2, let jump = chain[1].jump, jump.condition == 4 || jump.condition == 5,
                  !laterWritesMemory, let at = address(memory), let loaded = load(at, size) else { return false }
            let mask: UInt64 = size == 8 ? ~0 : (UInt64(1) << UInt64(8 * size)) - 1
            let equal = loaded & mask == immediate & mask
            return jump.condition == 4 ? !equal : equal
        }
    }

    // MARK: Decoding

    /// One instruction at `bytes[offset]` (address `base + offset`), or nil when it is not
    /// one of the forms this decoder knows.
    static func decode(_ bytes: [UInt8], at offset: Int, base: UInt64) -> Instruction? {
        var position = offset
        func next() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }
        guard var opcode = next() else { return nil }
        var rex: UInt8 = 0
        if opcode & 0xF0 == 0x40 {
            rex = opcode
            guard let following = next() else { return nil }
            opcode = following
        }
        let wide = rex & 8 != 0
        let address = base &+ UInt64(offset)
        var instruction = Instruction(address: address, bytes: [], writes: 0, writesMemory: false,
                                      ripDisplacementOffset: nil, jump: nil, evidence: nil)
        /// Decodes a ModRM operand; returns the reg field and the r/m operand.
        func modrm() -> (reg: Int, register: Int?, memory: MemoryOperand?)? {
            guard let byte = next() else { return nil }
            let mod = byte >> 6
            let reg = Int((byte >> 3) & 7) | (rex & 4 != 0 ? 8 : 0)
            let rm = Int(byte & 7)
            if mod == 3 { return (reg, rm | (rex & 1 != 0 ? 8 : 0), nil) }
            var memory = MemoryOperand(base: rm | (rex & 1 != 0 ? 8 : 0), indexed: false, displacement: 0)
            if rm == 4 {
                guard let sib = next() else { return nil }
                let index = Int((sib >> 3) & 7) | (rex & 2 != 0 ? 8 : 0)
                memory.indexed = index != 4
                memory.base = Int(sib & 7) | (rex & 1 != 0 ? 8 : 0)
                if sib & 7 == 5, mod == 0 { return nil }  // no base, disp32: not a form compilers emit here
            } else if rm == 5, mod == 0 {
                let displacementOffset = position - offset
                guard let displacement = int32() else { return nil }
                memory.base = nil
                memory.displacement = displacement
                instruction.ripDisplacementOffset = displacementOffset
                return (reg, nil, memory)
            }
            if mod == 1 {
                guard let byte = next() else { return nil }
                memory.displacement = Int64(Int8(bitPattern: byte))
            } else if mod == 2 {
                guard let displacement = int32() else { return nil }
                memory.displacement = displacement
            }
            return (reg, nil, memory)
        }
        func int32() -> Int64? {
            guard position + 4 <= bytes.count else { return nil }
            defer { position += 4 }
            return Int64(readInt32(bytes, position))
        }
        func immediate(_ size: Int) -> UInt64? {
            guard position + size <= bytes.count else { return nil }
            var value: UInt64 = 0
            for index in 0..<size { value |= UInt64(bytes[position + index]) << UInt64(8 * index) }
            position += size
            return value
        }
        /// The register an 8-bit operand names (without REX, 4-7 are ah, ch, dh, bh).
        func byteRegister(_ register: Int) -> Int { rex == 0 && (4...7).contains(register) ? register - 4 : register }
        func write(_ register: Int?, byteSized: Bool = false) {
            if let register { instruction.writes |= UInt32(1) << (byteSized ? byteRegister(register) : register) } else { instruction.writesMemory = true }
        }
        /// An operand's memory reference, with a rip-relative displacement made absolute.
        func absolute(_ memory: MemoryOperand) -> MemoryOperand {
            guard memory.base == nil, instruction.ripDisplacementOffset != nil else { return memory }
            let end = Int64(bitPattern: address &+ UInt64(position - offset))
            return MemoryOperand(base: nil, indexed: false, displacement: end &+ memory.displacement)
        }
        func signExtend32(_ value: UInt64) -> UInt64 { UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value))) }

        switch opcode {
        case 0x00...0x3B where opcode & 7 <= 3:
            // add, or, adc, sbb, and, sub, xor, cmp: r/m,r (0, 1) or r,r/m (2, 3); 0 and 2 are 8-bit.
            guard let operand = modrm() else { return nil }
            let isCompare = opcode >> 3 == 7
            let byteSized = opcode & 1 == 0
            if !isCompare {
                if opcode & 2 == 0 { write(operand.register, byteSized: byteSized) } else { write(operand.reg, byteSized: byteSized) }
            }
            if opcode == 0x31 || opcode == 0x33, operand.register == operand.reg {
                instruction.evidence = .value(register: operand.reg, equals: 0)
            }
        case 0x84, 0x85:  // test
            guard modrm() != nil else { return nil }
        case 0x88, 0x89, 0x8A, 0x8B:  // mov
            guard let operand = modrm() else { return nil }
            let byteSized = opcode & 1 == 0
            if opcode & 2 == 0 { write(operand.register, byteSized: byteSized) } else { write(operand.reg, byteSized: byteSized) }
            if opcode == 0x89, let destination = operand.register {
                instruction.evidence = .copy(register: destination, from: operand.reg, width32: !wide)
            } else if opcode == 0x8B, let source = operand.register {
                instruction.evidence = .copy(register: operand.reg, from: source, width32: !wide)
            } else if opcode == 0x8B, let memory = operand.memory {
                instruction.evidence = .load(register: operand.reg, from: absolute(memory), bytes: wide ? 8 : 4)
            }
        case 0x8D:  // lea
            guard let operand = modrm(), let memory = operand.memory else { return nil }
            write(operand.reg)
            if wide { instruction.evidence = .address(register: operand.reg, of: absolute(memory)) }
        case 0x63:  // movsxd
            guard let operand = modrm() else { return nil }
            write(operand.reg)
        case 0x80, 0x81, 0x83:  // group 1 with an immediate; /7 is cmp
            guard let operand = modrm() else { return nil }
            let size = opcode == 0x81 ? 4 : 1
            guard let value = immediate(size) else { return nil }
            let digit = (bytes[offset + (rex == 0 ? 1 : 2)] >> 3) & 7
            if digit != 7 { write(operand.register, byteSized: opcode == 0x80) }
            if digit == 7, let memory = operand.memory {
                let width = opcode == 0x80 ? 1 : (wide ? 8 : 4)
                let extended = opcode == 0x80 ? value : (opcode == 0x83 ? UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: value))) : signExtend32(value))
                instruction.evidence = .comparison(memory: absolute(memory), bytes: width, immediate: extended)
            }
        case 0xB0...0xB7:  // mov $imm8, r8
            guard immediate(1) != nil else { return nil }
            write(Int(opcode & 7) | (rex & 1 != 0 ? 8 : 0), byteSized: true)
        case 0xB8...0xBF:  // mov $imm32, r32 / movabs $imm64, r64
            let register = Int(opcode & 7) | (rex & 1 != 0 ? 8 : 0)
            guard let value = immediate(wide ? 8 : 4) else { return nil }
            write(register)
            instruction.evidence = .value(register: register, equals: value)
        case 0xC6, 0xC7:  // mov $imm, r/m (/0 only)
            guard let operand = modrm(), (bytes[offset + (rex == 0 ? 1 : 2)] >> 3) & 7 == 0 else { return nil }
            guard let value = immediate(opcode == 0xC6 ? 1 : 4) else { return nil }
            write(operand.register, byteSized: opcode == 0xC6)
            let stored = opcode == 0xC6 || !wide ? value : signExtend32(value)
            if opcode == 0xC7, let register = operand.register {
                instruction.evidence = .value(register: register, equals: stored)
            } else if let memory = operand.memory {
                instruction.evidence = .stored(memory: absolute(memory), bytes: opcode == 0xC6 ? 1 : (wide ? 8 : 4), value: stored)
            }
        case 0xC1, 0xD1:  // shifts and rotates (/6 is undefined)
            guard let operand = modrm(), (bytes[offset + (rex == 0 ? 1 : 2)] >> 3) & 7 != 6 else { return nil }
            if opcode == 0xC1 { guard immediate(1) != nil else { return nil } }
            write(operand.register)
        case 0x90 where rex == 0:  // nop
            break
        case 0x70...0x7F:  // jcc rel8
            guard let displacement = next() else { return nil }
            let end = address &+ UInt64(position - offset)
            instruction.jump = (opcode & 0xF, end &+ UInt64(bitPattern: Int64(Int8(bitPattern: displacement))))
        case 0x0F:
            guard let second = next() else { return nil }
            switch second {
            case 0x1F:  // nopl r/m
                guard modrm() != nil else { return nil }
            case 0xB6, 0xB7, 0xBE, 0xBF, 0x40...0x4F:  // movzx, movsx, cmovcc
                guard let operand = modrm() else { return nil }
                write(operand.reg)
            case 0x90...0x9F:  // setcc r/m8
                guard let operand = modrm() else { return nil }
                write(operand.register, byteSized: true)
            case 0x80...0x8F:  // jcc rel32
                guard let displacement = int32() else { return nil }
                let end = address &+ UInt64(position - offset)
                instruction.jump = (second & 0xF, end &+ UInt64(bitPattern: displacement))
            default:
                return nil
            }
        default:
            return nil
        }
        if instruction.jump != nil, rex != 0 { return nil }
        instruction.bytes = Array(bytes[offset..<position])
        return instruction
    }
}

/// The signed 32-bit little-endian value at `bytes[offset]`.
private func readInt32(_ bytes: [UInt8], _ offset: Int) -> Int32 {
    Int32(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
}

/// `target - end` when it fits a signed 32-bit displacement.
private func rel32(from end: UInt64, to target: UInt64) -> Int32? {
    let distance = Int64(bitPattern: target &- end)
    guard distance >= Int64(Int32.min), distance <= Int64(Int32.max) else { return nil }
    return Int32(distance)
}

private func littleEndian32(_ value: Int32) -> [UInt8] {
    let bits = UInt32(bitPattern: value)
    return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
            UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
}
