//! The eBPF target: instruction encoding, an assembler with labels, and a
//! disassembler for `-S`.

pub mod asm;
pub mod disasm;
pub mod insn;
