//! Disassembly for `dtrace -S`, in the kernel verifier log's notation
//! (`r1 = *(u64 *)(r10 -8)`), so that a program listing and a verifier
//! complaint about it read the same way.

use super::insn::*;
use std::fmt::Write;

fn size_name(code: u8) -> &'static str {
    match code & 0x18 {
        BPF_B => "u8",
        BPF_H => "u16",
        BPF_W => "u32",
        _ => "u64",
    }
}

fn alu_op(op: u8) -> &'static str {
    match op {
        0x00 => "+=",
        0x10 => "-=",
        0x20 => "*=",
        0x30 => "/=",
        0x40 => "|=",
        0x50 => "&=",
        0x60 => "<<=",
        0x70 => ">>=",
        0x90 => "%=",
        0xa0 => "^=",
        0xb0 => "=",
        0xc0 => "s>>=",
        _ => "?=",
    }
}

fn jmp_op(op: u8) -> &'static str {
    match op {
        0x10 => "==",
        0x20 => ">",
        0x30 => ">=",
        0x40 => "&",
        0x50 => "!=",
        0x60 => "s>",
        0x70 => "s>=",
        0xa0 => "<",
        0xb0 => "<=",
        0xc0 => "s<",
        0xd0 => "s<=",
        _ => "?",
    }
}

/// One line per instruction slot: `pc: (opcode) text`. `map_names` names
/// the maps referenced by index.
pub fn disassemble(insns: &[Insn], map_names: &dyn Fn(usize) -> String) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        let i = insns[pc];
        let _ = write!(out, "{pc:5}: ({:02x}) ", i.code);
        let (d, s) = (i.dst, i.src);
        match i.class() {
            BPF_ALU64 | BPF_ALU => {
                let w = if i.class() == BPF_ALU { "w" } else { "r" };
                let op = i.code & 0xf0;
                if op == Alu::Neg as u8 {
                    let _ = write!(out, "{w}{d} = -{w}{d}");
                } else if op == Alu::End as u8 {
                    let _ = write!(out, "r{d} = be{} r{d}", i.imm);
                } else if i.code & BPF_X != 0 {
                    let _ = write!(out, "{w}{d} {} {w}{s}", alu_op(op));
                } else {
                    let _ = write!(out, "{w}{d} {} {}", alu_op(op), i.imm);
                }
            }
            BPF_LDX => {
                let _ = write!(out, "r{d} = *({} *)(r{s} {:+})", size_name(i.code), i.off);
            }
            BPF_STX if i.code & 0xe0 == BPF_ATOMIC => {
                let _ = write!(
                    out,
                    "lock *({} *)(r{d} {:+}) += r{s}",
                    size_name(i.code),
                    i.off
                );
            }
            BPF_STX => {
                let _ = write!(out, "*({} *)(r{d} {:+}) = r{s}", size_name(i.code), i.off);
            }
            BPF_ST => {
                let _ = write!(
                    out,
                    "*({} *)(r{d} {:+}) = {}",
                    size_name(i.code),
                    i.off,
                    i.imm
                );
            }
            BPF_LD if i.is_ld_imm64() => {
                let hi = insns.get(pc + 1).map_or(0, |n| n.imm as u32 as u64);
                match i.src {
                    PSEUDO_MAP_FD => {
                        let _ = write!(out, "r{d} = map[{}]", map_names(i.imm as usize));
                    }
                    PSEUDO_MAP_VALUE => {
                        let _ = write!(out, "r{d} = &{}[0] + {hi}", map_names(i.imm as usize));
                    }
                    _ => {
                        let v = (hi << 32) | i.imm as u32 as u64;
                        let _ = write!(out, "r{d} = {v:#x}");
                    }
                }
                out.push('\n');
                pc += 2;
                continue;
            }
            BPF_JMP | BPF_JMP32 => {
                let op = i.code & 0xf0;
                let target = pc as i64 + 1 + i.off as i64;
                if op == OP_EXIT {
                    out.push_str("exit");
                } else if op == OP_CALL {
                    if i.src == PSEUDO_CALL {
                        let _ = write!(out, "call pc{:+}", i.imm + 1);
                    } else {
                        match helper::name(i.imm) {
                            Some(n) => {
                                let _ = write!(out, "call {n}#{}", i.imm);
                            }
                            None => {
                                let _ = write!(out, "call #{}", i.imm);
                            }
                        }
                    }
                } else if op == Cond::Always as u8 {
                    let _ = write!(out, "goto {target}");
                } else if i.code & BPF_X != 0 {
                    let _ = write!(out, "if r{d} {} r{s} goto {target}", jmp_op(op));
                } else {
                    let _ = write!(out, "if r{d} {} {:#x} goto {target}", jmp_op(op), i.imm);
                }
            }
            _ => {
                let _ = write!(out, "<raw {:#018x}>", i.encode());
            }
        }
        out.push('\n');
        pc += 1;
    }
    out
}
