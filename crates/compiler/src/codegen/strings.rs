//! Strings.
//!
//! A D string is a value of `strsize` bytes. Every string the generated
//! code stores — in scratch, in records, in variables, in map keys — is
//! NUL-terminated *and zero-filled after the NUL*. That invariant makes
//! equality a word-by-word comparison, lets strings be hash-map keys as
//! they are, and lets the consumer print a record's bytes up to the first
//! NUL. Every operation that makes a string (reading one from memory,
//! `execname`, `strjoin`) zero-fills its destination first.

use super::Gen;
use super::emit::frame;
use super::expr::KeyLoc;
use crate::bpf::insn::*;
use crate::object::Fault;
use crate::tir::*;
use dtrace_syntax::diag::{Diag, Result};

/// Where a string value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrLoc {
    Scratch(u32),
    Rodata(u32),
    Globals(u32),
}

impl Gen<'_> {
    pub(crate) fn str_ptr(&mut self, loc: StrLoc, dst: Reg) {
        match loc {
            StrLoc::Scratch(o) => self.scratch_ptr(dst, o),
            StrLoc::Rodata(o) => self.rodata_ptr(dst, o),
            StrLoc::Globals(o) => self.globals_ptr(dst, o),
        }
    }

    /// A scratch destination: `dst` if given, else a fresh temporary.
    fn str_dst(&mut self, dst: Option<u32>) -> u32 {
        match dst {
            Some(d) => d,
            None => self.alloc_scratch(self.strsize),
        }
    }

    /// Copies a string to scratch offset `dst` (unless already there).
    pub(crate) fn str_copy_to(&mut self, loc: StrLoc, dst: u32) -> StrLoc {
        if loc == StrLoc::Scratch(dst) {
            return loc;
        }
        self.scratch_ptr(R1, dst);
        self.str_ptr(loc, R3);
        self.copy_regs(self.strsize);
        StrLoc::Scratch(dst)
    }

    /// Evaluates a string expression; with `dst`, the result is in scratch
    /// at `dst`.
    pub(crate) fn eval_str(&mut self, e: &TExpr, t: u8, dst: Option<u32>) -> Result<StrLoc> {
        let loc = self.eval_str_inner(e, t, dst)?;
        Ok(match dst {
            Some(d) => self.str_copy_to(loc, d),
            None => loc,
        })
    }

    fn eval_str_inner(&mut self, e: &TExpr, t: u8, dst: Option<u32>) -> Result<StrLoc> {
        match &e.kind {
            TExprKind::Str(s) => {
                let off = self.rodata.string(s, self.strsize);
                Ok(StrLoc::Rodata(off))
            }
            TExprKind::Builtin(b) => self.builtin_str(*b, dst),
            TExprKind::Var(id) => {
                let info = &self.checked.vars[id.0 as usize];
                match info.scope {
                    VarScope::Global => Ok(StrLoc::Globals(self.layout.global_off[id])),
                    VarScope::Clause => Ok(StrLoc::Scratch(self.layout.this_off[id])),
                    VarScope::Thread => {
                        self.thread_key();
                        let map = self.layout.var_map[id];
                        Ok(self.lookup_str(map, KeyLoc::Stack, dst))
                    }
                    VarScope::Assoc => Err(Diag::new(
                        "D_ASSOC_NOIDX",
                        e.span,
                        "associative array used without a key",
                    )),
                }
            }
            TExprKind::AssocGet { var, keys } => {
                let key = self.build_key(*var, keys, t)?;
                let map = self.layout.var_map[var];
                Ok(self.lookup_str(map, key, dst))
            }
            TExprKind::StrFrom {
                addr,
                userland,
                max,
            } => {
                let d = self.str_dst(dst);
                self.zero_scratch(d, self.strsize);
                self.eval(addr, t)?;
                match max {
                    Some(m) => {
                        self.eval(m, t + 1)?;
                        let r = self.fetch(t + 1, R2)?;
                        self.mov(R2, r);
                        // Read at most max bytes plus the terminating NUL,
                        // and never more than the string size.
                        self.emit(Insn::alu64_imm(Alu::Add, R2, 1));
                        let ok = self.new_label();
                        self.a.jmp_imm(Cond::Le, R2, self.strsize as i32, ok);
                        self.emit(Insn::mov64_imm(R2, self.strsize as i32));
                        self.a.bind(ok);
                        let ok2 = self.new_label();
                        self.a.jmp_imm(Cond::Ge, R2, 1, ok2);
                        self.emit(Insn::mov64_imm(R2, 1));
                        self.a.bind(ok2);
                        self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE2, R2));
                    }
                    None => {
                        self.emit(Insn::store_imm(
                            BPF_DW,
                            FP,
                            frame::SAVE2,
                            self.strsize as i32,
                        ));
                    }
                }
                let a = self.fetch(t, R3)?;
                self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE, a));
                self.mov(R3, a);
                self.emit(Insn::load(BPF_DW, R2, FP, frame::SAVE2));
                self.scratch_ptr(R1, d);
                self.call(if *userland {
                    helper::PROBE_READ_USER_STR
                } else {
                    helper::PROBE_READ_KERNEL_STR
                });
                let ok = self.new_label();
                self.a.jmp_imm(Cond::Sge, R0, 0, ok);
                self.emit(Insn::load(BPF_DW, R1, FP, frame::SAVE));
                self.raise_fault(Fault::BadAddr, Some(R1));
                self.a.bind(ok);
                Ok(StrLoc::Scratch(d))
            }
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let d = self.str_dst(dst);
                let f = self.new_label();
                let end = self.new_label();
                self.jump_if_false(cond, t, f)?;
                self.eval_str(then, t, Some(d))?;
                self.a.jmp(end);
                self.a.bind(f);
                self.eval_str(otherwise, t, Some(d))?;
                self.a.bind(end);
                Ok(StrLoc::Scratch(d))
            }
            TExprKind::Assign { target, value, .. } => self.assign_str(target, value, t),
            TExprKind::Call { subr, args } => match subr {
                Subr::Strjoin => {
                    let d = self.str_dst(dst);
                    let a = self.eval_str(&args[0], t, None)?;
                    let b = self.eval_str(&args[1], t, None)?;
                    self.strjoin(d, a, b);
                    Ok(StrLoc::Scratch(d))
                }
                Subr::Lltostr => {
                    let d = self.str_dst(dst);
                    self.eval(&args[0], t)?;
                    let v = self.fetch(t, R1)?;
                    self.lltostr(d, v);
                    Ok(StrLoc::Scratch(d))
                }
                _ => Err(Diag::new(
                    "D_FUNC_UNSUP",
                    e.span,
                    "this subroutine is not supported yet",
                )),
            },
            TExprKind::Comma { lhs, rhs } => {
                self.eval_any(lhs, t)?;
                self.eval_str(rhs, t, dst)
            }
            _ => Err(Diag::new(
                "D_TYPE_ERR",
                e.span,
                "expression does not produce a string",
            )),
        }
    }

    fn builtin_str(&mut self, b: Builtin, dst: Option<u32>) -> Result<StrLoc> {
        match b {
            Builtin::Execname => {
                let d = self.str_dst(dst);
                self.scratch_ptr(R1, d);
                self.emit(Insn::mov64_imm(R2, 16));
                self.call(helper::GET_CURRENT_COMM);
                // The helper pads to 16 bytes; zero the rest.
                self.zero_scratch(d + 16, self.strsize - 16);
                Ok(StrLoc::Scratch(d))
            }
            Builtin::Probeprov | Builtin::Probemod | Builtin::Probefunc | Builtin::Probename => {
                let field = |p: &crate::probes::ProbeInfo| -> Vec<u8> {
                    match b {
                        Builtin::Probeprov => p.provider.clone(),
                        Builtin::Probemod => p.module.clone(),
                        Builtin::Probefunc => p.function.clone(),
                        _ => p.name.clone(),
                    }
                    .into_bytes()
                };
                let names: Vec<Vec<u8>> = self
                    .probes
                    .iter()
                    .map(|p| p.as_ref().map(field).unwrap_or_default())
                    .collect();
                if names.iter().all(|n| n == &names[0]) {
                    let off = self.rodata.string(&names[0], self.strsize);
                    return Ok(StrLoc::Rodata(off));
                }
                // A table of names by slot, each padded to the longest.
                let stride = (names.iter().map(Vec::len).max().unwrap_or(0) as u32 + 1)
                    .next_multiple_of(8)
                    .min(self.strsize);
                let mut table = Vec::new();
                for n in &names {
                    let mut v = n.clone();
                    v.resize(stride as usize, 0);
                    table.extend_from_slice(&v);
                }
                let off = self.rodata.add(&table);
                let d = self.str_dst(dst);
                self.zero_scratch(d, self.strsize);
                self.emit(Insn::load(BPF_DW, R3, R9, super::scratch::PIDX as i16));
                // The slot is below the table length by construction; the
                // verifier wants to see it.
                let n = names.len() as i32;
                let ok = self.new_label();
                self.a.jmp_imm(Cond::Lt, R3, n, ok);
                self.emit(Insn::mov64_imm(R3, 0));
                self.a.bind(ok);
                self.emit(Insn::alu64_imm(Alu::Mul, R3, stride as i32));
                self.rodata_ptr(R4, off);
                self.emit(Insn::alu64_reg(Alu::Add, R3, R4));
                self.scratch_ptr(R1, d);
                self.emit(Insn::mov64_imm(R2, stride as i32));
                self.call(helper::PROBE_READ_KERNEL);
                Ok(StrLoc::Scratch(d))
            }
            _ => Err(Diag::without_span(
                "D_TYPE_ERR",
                "scalar built-in used where a string is required",
            )),
        }
    }

    /// Looks up a string-valued map entry and copies it to scratch (the empty
    /// string when absent).
    fn lookup_str(&mut self, map: u32, key: KeyLoc, dst: Option<u32>) -> StrLoc {
        let d = self.str_dst(dst);
        self.map_ref(R1, map);
        self.key_ptr(R2, key);
        self.call(helper::MAP_LOOKUP_ELEM);
        let none = self.new_label();
        let end = self.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, none);
        self.mov(R3, R0);
        self.scratch_ptr(R1, d);
        self.copy_regs(self.strsize);
        self.a.jmp(end);
        self.a.bind(none);
        self.zero_scratch(d, self.strsize);
        self.a.bind(end);
        StrLoc::Scratch(d)
    }

    /// Assigns a string; returns where the assigned value now is.
    pub(crate) fn assign_str(&mut self, target: &LValue, value: &TExpr, t: u8) -> Result<StrLoc> {
        match target {
            LValue::Var(id) => {
                let info = &self.checked.vars[id.0 as usize];
                match info.scope {
                    VarScope::Clause => {
                        let off = self.layout.this_off[id];
                        self.eval_str(value, t, Some(off))
                    }
                    VarScope::Global => {
                        let off = self.layout.global_off[id];
                        let v = self.eval_str(value, t, None)?;
                        self.globals_ptr(R1, off);
                        self.str_ptr(v, R3);
                        self.copy_regs(self.strsize);
                        Ok(StrLoc::Globals(off))
                    }
                    VarScope::Thread => {
                        let v = self.eval_str(value, t, None)?;
                        self.thread_key();
                        let map = self.layout.var_map[id];
                        self.update_str(map, KeyLoc::Stack, v);
                        Ok(v)
                    }
                    VarScope::Assoc => Err(Diag::without_span(
                        "D_ASSOC_NOIDX",
                        "associative array used without a key",
                    )),
                }
            }
            LValue::Assoc { var, keys } => {
                let v = self.eval_str(value, t, None)?;
                let key = self.build_key(*var, keys, t)?;
                let map = self.layout.var_map[var];
                self.update_str(map, key, v);
                Ok(v)
            }
        }
    }

    fn update_str(&mut self, map: u32, key: KeyLoc, v: StrLoc) {
        self.map_ref(R1, map);
        self.key_ptr(R2, key);
        self.str_ptr(v, R3);
        self.emit(Insn::mov64_imm(R4, 0));
        self.call(helper::MAP_UPDATE_ELEM);
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, ok);
        self.bump_counter(crate::object::counter::DYNVAR_DROPS);
        self.a.bind(ok);
    }

    /// `r = strlen(loc)`, through the kernel's string copy (which returns the
    /// length including the NUL). Clobbers r0–r5.
    pub(crate) fn strlen(&mut self, loc: StrLoc, r: Reg) {
        let tmp = self.alloc_scratch(self.strsize);
        self.str_ptr(loc, R3);
        self.scratch_ptr(R1, tmp);
        self.emit(Insn::mov64_imm(R2, self.strsize as i32));
        self.call(helper::PROBE_READ_KERNEL_STR);
        self.emit(Insn::alu64_imm(Alu::Sub, R0, 1));
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Sge, R0, 0, ok);
        self.emit(Insn::mov64_imm(R0, 0));
        self.a.bind(ok);
        self.mov(r, R0);
    }

    /// `d = a + b`, truncated to the string size.
    fn strjoin(&mut self, d: u32, a: StrLoc, b: StrLoc) {
        self.str_copy_to(a, d);
        self.strlen(StrLoc::Scratch(d), R0);
        // r0 = len(a), at most strsize - 1.
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Le, R0, self.strsize as i32 - 1, ok);
        self.emit(Insn::mov64_imm(R0, self.strsize as i32 - 1));
        self.a.bind(ok);
        self.scratch_ptr(R1, d);
        self.emit(Insn::alu64_reg(Alu::Add, R1, R0));
        self.emit(Insn::mov64_imm(R2, self.strsize as i32));
        self.emit(Insn::alu64_reg(Alu::Sub, R2, R0));
        self.str_ptr(b, R3);
        self.call(helper::PROBE_READ_KERNEL_STR);
    }

    /// Decimal text of the signed value in `v` at scratch `d`.
    fn lltostr(&mut self, d: u32, v: Reg) {
        // Digits are produced right to left into a 24-byte buffer at the end
        // of the destination's first 32 bytes, then moved to the start.
        self.zero_scratch(d, self.strsize);
        let buf = self.alloc_scratch(32);
        self.zero_scratch(buf, 32);
        self.mov(R2, v);
        // r4 = negative?
        self.emit(Insn::mov64_imm(R4, 0));
        let pos = self.new_label();
        self.a.jmp_imm(Cond::Sge, R2, 0, pos);
        self.emit(Insn::mov64_imm(R4, 1));
        self.emit(Insn::alu64_imm(Alu::Neg, R2, 0));
        self.a.bind(pos);
        // r5 = index of the first digit written (counts down from 30).
        self.emit(Insn::mov64_imm(R5, 30));
        let done = self.new_label();
        for i in 0..20 {
            let at = 30 - i;
            self.mov(R3, R2);
            self.emit(Insn::alu64_imm(Alu::Mod, R3, 10));
            self.emit(Insn::alu64_imm(Alu::Add, R3, b'0' as i32));
            self.emit(Insn::store_reg(BPF_B, R9, (buf + at) as i16, R3));
            self.emit(Insn::mov64_imm(R5, at as i32));
            self.emit(Insn::alu64_imm(Alu::Div, R2, 10));
            self.a.jmp_imm(Cond::Eq, R2, 0, done);
        }
        self.a.bind(done);
        let nosign = self.new_label();
        self.a.jmp_imm(Cond::Eq, R4, 0, nosign);
        self.emit(Insn::alu64_imm(Alu::Sub, R5, 1));
        // r5 ≥ 10 here: at most 20 digits were written below index 31.
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Le, R5, 30, ok);
        self.emit(Insn::mov64_imm(R5, 30));
        self.a.bind(ok);
        self.scratch_ptr(R1, buf);
        self.emit(Insn::alu64_reg(Alu::Add, R1, R5));
        self.emit(Insn::mov64_imm(R2, b'-' as i32));
        self.emit(Insn::store_reg(BPF_B, R1, 0, R2));
        self.a.bind(nosign);
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Le, R5, 30, ok);
        self.emit(Insn::mov64_imm(R5, 30));
        self.a.bind(ok);
        self.scratch_ptr(R3, buf);
        self.emit(Insn::alu64_reg(Alu::Add, R3, R5));
        self.scratch_ptr(R1, d);
        self.emit(Insn::mov64_imm(R2, 32));
        self.emit(Insn::alu64_reg(Alu::Sub, R2, R5));
        self.call(helper::PROBE_READ_KERNEL_STR);
    }

    /// Compares two strings; temporary `t` gets <0, 0 or >0.
    pub(crate) fn str_compare(&mut self, lhs: &TExpr, rhs: &TExpr, t: u8) -> Result<()> {
        let a = self.eval_str(lhs, t, None)?;
        let b = self.eval_str(rhs, t, None)?;
        self.str_ptr(a, R1);
        self.str_ptr(b, R2);
        let sub = match self.strcmp_sub {
            Some(l) => l,
            None => {
                let l = self.new_label();
                self.strcmp_sub = Some(l);
                l
            }
        };
        self.a.call_local(sub);
        self.put(t, R0)
    }

    /// The string comparison subprogram: r1, r2 point at two zero-filled
    /// strings; returns -1, 0 or 1 in lexicographic byte order. Compares a
    /// word at a time, stopping at the first difference or at the first word
    /// that contains the terminating NUL.
    pub(crate) fn emit_strcmp_sub(&mut self) {
        let Some(l) = self.strcmp_sub else { return };
        self.a.bind(l);
        let top = self.new_label();
        let equal = self.new_label();
        let differ = self.new_label();
        let out = self.new_label();
        self.emit(Insn::mov64_imm(R3, 0));
        self.a.bind(top);
        self.emit(Insn::load(BPF_DW, R4, R1, 0));
        self.emit(Insn::load(BPF_DW, R5, R2, 0));
        self.a.jmp_reg(Cond::Ne, R4, R5, differ);
        // Has the word a zero byte? (w - 0x01..01) & ~w & 0x80..80
        self.a.emit2(Insn::ld_imm64(R0, 0x0101_0101_0101_0101));
        self.mov(R5, R4);
        self.emit(Insn::alu64_reg(Alu::Sub, R5, R0));
        self.mov(R0, R4);
        self.emit(Insn::alu64_imm(Alu::Xor, R0, -1));
        self.emit(Insn::alu64_reg(Alu::And, R5, R0));
        self.a.emit2(Insn::ld_imm64(R0, 0x8080_8080_8080_8080));
        self.emit(Insn::alu64_reg(Alu::And, R5, R0));
        self.a.jmp_imm(Cond::Ne, R5, 0, equal);
        self.emit(Insn::alu64_imm(Alu::Add, R1, 8));
        self.emit(Insn::alu64_imm(Alu::Add, R2, 8));
        self.emit(Insn::alu64_imm(Alu::Add, R3, 8));
        self.a.jmp_imm(Cond::Lt, R3, self.strsize as i32, top);
        self.a.bind(equal);
        self.emit(Insn::mov64_imm(R0, 0));
        self.emit(Insn::exit());
        self.a.bind(differ);
        self.emit(Insn::to_be(R4, 64));
        self.emit(Insn::to_be(R5, 64));
        self.emit(Insn::mov64_imm(R0, 1));
        self.a.jmp_reg(Cond::Gt, R4, R5, out);
        self.emit(Insn::mov64_imm(R0, -1));
        self.a.bind(out);
        self.emit(Insn::exit());
    }
}
