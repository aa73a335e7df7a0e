//! eBPF instructions: the encoding the kernel loads.
//!
//! An instruction is 8 bytes: opcode, destination and source registers,
//! a signed 16-bit offset and a signed 32-bit immediate. The 64-bit constant
//! load (`ld_imm64`) takes two slots; its second slot is a pseudo
//! instruction carrying the upper 32 bits. Map references are emitted with
//! the compiler's own map *index* in the immediate and a pseudo source
//! register ([`PSEUDO_MAP_FD`] / [`PSEUDO_MAP_VALUE`]); the loader replaces
//! the index by the map's file descriptor before loading (see
//! [`Insn::map_index`]).

/// A register. `R0` holds return values, `R1`–`R5` are arguments and are
/// clobbered by calls, `R6`–`R9` survive calls, `R10` is the read-only frame
/// pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u8);

pub const R0: Reg = Reg(0);
pub const R1: Reg = Reg(1);
pub const R2: Reg = Reg(2);
pub const R3: Reg = Reg(3);
pub const R4: Reg = Reg(4);
pub const R5: Reg = Reg(5);
pub const R6: Reg = Reg(6);
pub const R7: Reg = Reg(7);
pub const R8: Reg = Reg(8);
pub const R9: Reg = Reg(9);
pub const R10: Reg = Reg(10);
pub const FP: Reg = R10;

// Instruction classes.
pub const BPF_LD: u8 = 0x00;
pub const BPF_LDX: u8 = 0x01;
pub const BPF_ST: u8 = 0x02;
pub const BPF_STX: u8 = 0x03;
pub const BPF_ALU: u8 = 0x04;
pub const BPF_JMP: u8 = 0x05;
pub const BPF_JMP32: u8 = 0x06;
pub const BPF_ALU64: u8 = 0x07;

// Load/store sizes and modes.
pub const BPF_W: u8 = 0x00;
pub const BPF_H: u8 = 0x08;
pub const BPF_B: u8 = 0x10;
pub const BPF_DW: u8 = 0x18;
pub const BPF_IMM: u8 = 0x00;
pub const BPF_MEM: u8 = 0x60;
pub const BPF_ATOMIC: u8 = 0xc0;

// Operand source.
pub const BPF_K: u8 = 0x00;
pub const BPF_X: u8 = 0x08;

// Pseudo source registers of ld_imm64 and call.
pub const PSEUDO_MAP_FD: u8 = 1;
pub const PSEUDO_MAP_VALUE: u8 = 2;
pub const PSEUDO_CALL: u8 = 1;

/// Arithmetic operations (the `op` bits of ALU/ALU64 instructions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Alu {
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    Div = 0x30,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Neg = 0x80,
    Mod = 0x90,
    Xor = 0xa0,
    Mov = 0xb0,
    Arsh = 0xc0,
    End = 0xd0,
}

/// Jump conditions (the `op` bits of JMP instructions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cond {
    Always = 0x00,
    Eq = 0x10,
    Gt = 0x20,
    Ge = 0x30,
    Set = 0x40,
    Ne = 0x50,
    Sgt = 0x60,
    Sge = 0x70,
    Lt = 0xa0,
    Le = 0xb0,
    Slt = 0xc0,
    Sle = 0xd0,
}

impl Cond {
    /// The condition that holds exactly when `self` does not.
    pub fn negate(self) -> Cond {
        use Cond::*;
        match self {
            Always => Always,
            Eq => Ne,
            Ne => Eq,
            Gt => Le,
            Le => Gt,
            Ge => Lt,
            Lt => Ge,
            Sgt => Sle,
            Sle => Sgt,
            Sge => Slt,
            Slt => Sge,
            // JSET has no negation instruction; callers avoid negating it.
            Set => Set,
        }
    }
}

pub const OP_CALL: u8 = 0x80;
pub const OP_EXIT: u8 = 0x90;

/// Memory access width in bytes → size bits.
pub fn size_bits(bytes: u32) -> u8 {
    match bytes {
        1 => BPF_B,
        2 => BPF_H,
        4 => BPF_W,
        _ => BPF_DW,
    }
}

/// One 8-byte instruction slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const fn new(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst: dst.0,
            src: src.0,
            off,
            imm,
        }
    }

    /// The little-endian encoding the kernel expects on x86-64 and arm64.
    pub fn encode(&self) -> u64 {
        (self.code as u64)
            | (((self.dst & 0xf) | ((self.src & 0xf) << 4)) as u64) << 8
            | ((self.off as u16) as u64) << 16
            | ((self.imm as u32) as u64) << 32
    }

    pub fn decode(raw: u64) -> Insn {
        Insn {
            code: raw as u8,
            dst: ((raw >> 8) & 0xf) as u8,
            src: ((raw >> 12) & 0xf) as u8,
            off: (raw >> 16) as u16 as i16,
            imm: (raw >> 32) as u32 as i32,
        }
    }

    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Whether this is the first slot of a 64-bit constant load.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == (BPF_LD | BPF_DW | BPF_IMM)
    }

    /// For the first slot of a map reference (`ld_imm64` with a map pseudo
    /// source), the compiler's index of the map; the loader swaps it for a
    /// file descriptor.
    pub fn map_index(&self) -> Option<usize> {
        if self.is_ld_imm64() && (self.src == PSEUDO_MAP_FD || self.src == PSEUDO_MAP_VALUE) {
            Some(self.imm as u32 as usize)
        } else {
            None
        }
    }

    // -- constructors ------------------------------------------------------

    pub const fn alu64_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
        Insn::new(BPF_ALU64 | op as u8 | BPF_K, dst, R0, 0, imm)
    }
    pub const fn alu64_reg(op: Alu, dst: Reg, src: Reg) -> Insn {
        Insn::new(BPF_ALU64 | op as u8 | BPF_X, dst, src, 0, 0)
    }
    pub const fn alu32_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
        Insn::new(BPF_ALU | op as u8 | BPF_K, dst, R0, 0, imm)
    }
    pub const fn alu32_reg(op: Alu, dst: Reg, src: Reg) -> Insn {
        Insn::new(BPF_ALU | op as u8 | BPF_X, dst, src, 0, 0)
    }
    pub const fn mov64_imm(dst: Reg, imm: i32) -> Insn {
        Insn::alu64_imm(Alu::Mov, dst, imm)
    }
    pub const fn mov64_reg(dst: Reg, src: Reg) -> Insn {
        Insn::alu64_reg(Alu::Mov, dst, src)
    }
    /// Byte swap to big-endian (on a little-endian host) of `bits` width.
    pub const fn to_be(dst: Reg, bits: i32) -> Insn {
        Insn::new(BPF_ALU | Alu::End as u8 | BPF_X, dst, R0, 0, bits)
    }
    pub const fn load(size: u8, dst: Reg, base: Reg, off: i16) -> Insn {
        Insn::new(BPF_LDX | BPF_MEM | size, dst, base, off, 0)
    }
    pub const fn store_reg(size: u8, base: Reg, off: i16, src: Reg) -> Insn {
        Insn::new(BPF_STX | BPF_MEM | size, base, src, off, 0)
    }
    pub const fn store_imm(size: u8, base: Reg, off: i16, imm: i32) -> Insn {
        Insn::new(BPF_ST | BPF_MEM | size, base, R0, off, imm)
    }
    /// `*(u64 *)(base + off) += src` atomically.
    pub const fn atomic_add64(base: Reg, off: i16, src: Reg) -> Insn {
        Insn::new(
            BPF_STX | BPF_ATOMIC | BPF_DW,
            base,
            src,
            off,
            Alu::Add as i32,
        )
    }
    pub const fn jmp_imm(cond: Cond, dst: Reg, imm: i32, off: i16) -> Insn {
        Insn::new(BPF_JMP | cond as u8 | BPF_K, dst, R0, off, imm)
    }
    pub const fn jmp_reg(cond: Cond, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(BPF_JMP | cond as u8 | BPF_X, dst, src, off, 0)
    }
    pub const fn call_helper(helper: i32) -> Insn {
        Insn::new(BPF_JMP | OP_CALL, R0, R0, 0, helper)
    }
    pub const fn call_local(rel: i32) -> Insn {
        Insn::new(BPF_JMP | OP_CALL, R0, Reg(PSEUDO_CALL), 0, rel)
    }
    pub const fn exit() -> Insn {
        Insn::new(BPF_JMP | OP_EXIT, R0, R0, 0, 0)
    }
    /// The two slots of `dst = imm64`.
    pub const fn ld_imm64(dst: Reg, imm: u64) -> [Insn; 2] {
        [
            Insn::new(BPF_LD | BPF_DW | BPF_IMM, dst, R0, 0, imm as u32 as i32),
            Insn::new(0, R0, R0, 0, (imm >> 32) as u32 as i32),
        ]
    }
    /// The two slots of `dst = &map` (for helper calls taking a map).
    pub const fn ld_map(dst: Reg, map_index: u32) -> [Insn; 2] {
        [
            Insn::new(
                BPF_LD | BPF_DW | BPF_IMM,
                dst,
                Reg(PSEUDO_MAP_FD),
                0,
                map_index as i32,
            ),
            Insn::new(0, R0, R0, 0, 0),
        ]
    }
    /// The two slots of `dst = &map.value[0] + offset` (direct value access
    /// into a single-element array map).
    pub const fn ld_map_value(dst: Reg, map_index: u32, offset: u32) -> [Insn; 2] {
        [
            Insn::new(
                BPF_LD | BPF_DW | BPF_IMM,
                dst,
                Reg(PSEUDO_MAP_VALUE),
                0,
                map_index as i32,
            ),
            Insn::new(0, R0, R0, 0, offset as i32),
        ]
    }
}

/// Kernel helper function numbers (`enum bpf_func_id`), the subset we call.
pub mod helper {
    pub const MAP_LOOKUP_ELEM: i32 = 1;
    pub const MAP_UPDATE_ELEM: i32 = 2;
    pub const MAP_DELETE_ELEM: i32 = 3;
    pub const PROBE_READ: i32 = 4;
    pub const KTIME_GET_NS: i32 = 5;
    pub const GET_PRANDOM_U32: i32 = 7;
    pub const GET_SMP_PROCESSOR_ID: i32 = 8;
    pub const TAIL_CALL: i32 = 12;
    pub const GET_CURRENT_PID_TGID: i32 = 14;
    pub const GET_CURRENT_UID_GID: i32 = 15;
    pub const GET_CURRENT_COMM: i32 = 16;
    pub const PERF_EVENT_OUTPUT: i32 = 25;
    pub const GET_STACKID: i32 = 27;
    pub const GET_CURRENT_TASK: i32 = 35;
    pub const PROBE_READ_STR: i32 = 45;
    pub const SEND_SIGNAL: i32 = 109;
    pub const GET_STACK: i32 = 67;
    pub const PROBE_READ_USER: i32 = 112;
    pub const PROBE_READ_KERNEL: i32 = 113;
    pub const PROBE_READ_USER_STR: i32 = 114;
    pub const PROBE_READ_KERNEL_STR: i32 = 115;
    pub const SEND_SIGNAL_THREAD: i32 = 117;
    pub const RINGBUF_OUTPUT: i32 = 130;
    pub const RINGBUF_RESERVE: i32 = 131;
    pub const RINGBUF_SUBMIT: i32 = 132;
    pub const RINGBUF_DISCARD: i32 = 133;
    pub const RINGBUF_QUERY: i32 = 134;
    pub const GET_CURRENT_TASK_BTF: i32 = 158;
    pub const KTIME_GET_BOOT_NS: i32 = 125;
    pub const GET_ATTACH_COOKIE: i32 = 174;
    pub const GET_FUNC_IP: i32 = 173;
    pub const LOOP: i32 = 181;
    pub const KTIME_GET_TAI_NS: i32 = 208;

    /// The helper's name as the kernel spells it, for disassembly.
    pub fn name(id: i32) -> Option<&'static str> {
        Some(match id {
            MAP_LOOKUP_ELEM => "map_lookup_elem",
            MAP_UPDATE_ELEM => "map_update_elem",
            MAP_DELETE_ELEM => "map_delete_elem",
            PROBE_READ => "probe_read",
            KTIME_GET_NS => "ktime_get_ns",
            GET_PRANDOM_U32 => "get_prandom_u32",
            GET_SMP_PROCESSOR_ID => "get_smp_processor_id",
            TAIL_CALL => "tail_call",
            GET_CURRENT_PID_TGID => "get_current_pid_tgid",
            GET_CURRENT_UID_GID => "get_current_uid_gid",
            GET_CURRENT_COMM => "get_current_comm",
            PERF_EVENT_OUTPUT => "perf_event_output",
            GET_STACKID => "get_stackid",
            GET_CURRENT_TASK => "get_current_task",
            PROBE_READ_STR => "probe_read_str",
            SEND_SIGNAL => "send_signal",
            GET_STACK => "get_stack",
            PROBE_READ_USER => "probe_read_user",
            PROBE_READ_KERNEL => "probe_read_kernel",
            PROBE_READ_USER_STR => "probe_read_user_str",
            PROBE_READ_KERNEL_STR => "probe_read_kernel_str",
            SEND_SIGNAL_THREAD => "send_signal_thread",
            RINGBUF_OUTPUT => "ringbuf_output",
            RINGBUF_RESERVE => "ringbuf_reserve",
            RINGBUF_SUBMIT => "ringbuf_submit",
            RINGBUF_DISCARD => "ringbuf_discard",
            RINGBUF_QUERY => "ringbuf_query",
            GET_CURRENT_TASK_BTF => "get_current_task_btf",
            KTIME_GET_BOOT_NS => "ktime_get_boot_ns",
            GET_ATTACH_COOKIE => "get_attach_cookie",
            GET_FUNC_IP => "get_func_ip",
            LOOP => "loop",
            KTIME_GET_TAI_NS => "ktime_get_tai_ns",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_kernel_abi() {
        // r0 = 7  → b7 00 00 00 07 00 00 00
        assert_eq!(
            Insn::mov64_imm(R0, 7).encode().to_le_bytes(),
            [0xb7, 0, 0, 0, 7, 0, 0, 0]
        );
        // exit → 95 00 ...
        assert_eq!(Insn::exit().encode().to_le_bytes()[0], 0x95);
        // *(u64 *)(r10 - 8) = r1 → 7b 1a f8 ff 00 00 00 00
        assert_eq!(
            Insn::store_reg(BPF_DW, FP, -8, R1).encode().to_le_bytes(),
            [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]
        );
        let i = Insn::jmp_imm(Cond::Sgt, R3, -5, -2);
        assert_eq!(Insn::decode(i.encode()), i);
    }

    #[test]
    fn map_references_carry_the_map_index() {
        let [a, _] = Insn::ld_map_value(R1, 3, 16);
        assert_eq!(a.map_index(), Some(3));
        let [b, _] = Insn::ld_imm64(R1, 3);
        assert_eq!(b.map_index(), None);
    }
}
