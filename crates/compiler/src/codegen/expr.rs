//! Scalar expressions.
//!
//! [`Gen::eval`] computes an expression into temporary `t`, using `t+1…`
//! for its operands, so a binary operation never disturbs values computed
//! before it. Every scalar is kept as a 64-bit value already converted to
//! its D type (sign- or zero-extended); arithmetic on narrower types is
//! narrowed again after each operation, as C would.

use super::emit::frame;
use super::scratch;
use crate::bpf::asm::Label;
use crate::bpf::insn::*;
use crate::object::{Fault, globals};
use crate::tir::*;
use crate::types::TypeId;
use dtrace_syntax::ast::{BinaryOp, UnaryOp};
use dtrace_syntax::diag::{Diag, Result};

impl Gen<'_> {
    fn size_sign(&self, ty: TypeId) -> (u32, bool) {
        let t = &self.checked.types;
        if t.is_pointer(ty) {
            return (8, false);
        }
        (t.size_of(ty, 8).clamp(1, 8) as u32, t.is_signed(ty))
    }

    /// Narrows `r` to the integer type `ty`.
    pub(crate) fn narrow_to(&mut self, r: Reg, ty: TypeId) {
        let (size, signed) = self.size_sign(ty);
        if self.checked.types.is_integer(ty) {
            self.narrow(r, size, signed);
        }
    }

    pub(crate) fn eval(&mut self, e: &TExpr, t: u8) -> Result<()> {
        let r = self.work_reg(t, R0)?;
        match &e.kind {
            TExprKind::Int(v) => {
                self.mov_imm(r, *v);
                self.put(t, r)
            }
            TExprKind::Str(_) | TExprKind::StrFrom { .. } => Err(Diag::new(
                "D_TYPE_ERR",
                e.span,
                "string used where a scalar is required",
            )),
            TExprKind::Builtin(b) => self.builtin(*b, e, t),
            TExprKind::TypedArg(n) => {
                self.emit(Insn::load(
                    BPF_DW,
                    r,
                    R9,
                    (self.args_off + 8 * *n as u32) as i16,
                ));
                self.narrow_to(r, e.ty);
                self.put(t, r)
            }
            TExprKind::Var(id) => self.load_var(*id, e, t),
            TExprKind::AssocGet { var, keys } => {
                let key = self.build_key(*var, keys, t)?;
                let map = self.layout.var_map[var];
                self.lookup_scalar(map, key, t)
            }
            TExprKind::Unary { op, operand } => {
                match op {
                    UnaryOp::Not => {
                        let f = self.new_label();
                        let end = self.new_label();
                        self.jump_if_false(operand, t, f)?;
                        let r = self.work_reg(t, R0)?;
                        self.mov_imm(r, 0);
                        self.a.jmp(end);
                        self.a.bind(f);
                        self.mov_imm(r, 1);
                        self.a.bind(end);
                        return self.put(t, r);
                    }
                    _ => self.eval(operand, t)?,
                }
                let r = self.fetch(t, R0)?;
                match op {
                    UnaryOp::Neg => self.emit(Insn::alu64_imm(Alu::Neg, r, 0)),
                    UnaryOp::BitNot => self.emit(Insn::alu64_imm(Alu::Xor, r, -1)),
                    _ => {}
                }
                self.narrow_to(r, e.ty);
                self.put(t, r)
            }
            TExprKind::Binary {
                op,
                lhs,
                rhs,
                signed,
            } => {
                self.eval(lhs, t)?;
                self.eval(rhs, t + 1)?;
                let b = self.fetch(t + 1, R2)?;
                let a = self.fetch(t, R1)?;
                self.arith(*op, a, b, *signed)?;
                self.narrow_to(a, e.ty);
                self.put(t, a)
            }
            TExprKind::PtrArith {
                sub,
                ptr,
                int,
                scale,
            } => {
                self.eval(ptr, t)?;
                self.eval(int, t + 1)?;
                let b = self.fetch(t + 1, R2)?;
                if *scale != 1 {
                    if b != R2 {
                        self.mov(R2, b);
                    }
                    self.emit(Insn::alu64_imm(Alu::Mul, R2, *scale as i32));
                }
                let b = if *scale != 1 { R2 } else { b };
                let a = self.fetch(t, R1)?;
                self.emit(Insn::alu64_reg(
                    if *sub { Alu::Sub } else { Alu::Add },
                    a,
                    b,
                ));
                self.put(t, a)
            }
            TExprKind::PtrDiff { lhs, rhs, scale } => {
                self.eval(lhs, t)?;
                self.eval(rhs, t + 1)?;
                let b = self.fetch(t + 1, R2)?;
                let a = self.fetch(t, R1)?;
                self.emit(Insn::alu64_reg(Alu::Sub, a, b));
                if *scale != 1 {
                    self.mov(R2, a);
                    self.mov_imm(R3, *scale as i64);
                    self.signed_divmod(R2, R3, false);
                    self.mov(a, R2);
                }
                self.put(t, a)
            }
            TExprKind::Logical { .. } | TExprKind::Compare { .. } => {
                let f = self.new_label();
                let end = self.new_label();
                self.jump_if_false(e, t, f)?;
                let r = self.work_reg(t, R0)?;
                self.mov_imm(r, 1);
                self.a.jmp(end);
                self.a.bind(f);
                self.mov_imm(r, 0);
                self.a.bind(end);
                self.put(t, r)
            }
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let f = self.new_label();
                let end = self.new_label();
                self.jump_if_false(cond, t, f)?;
                self.eval(then, t)?;
                self.a.jmp(end);
                self.a.bind(f);
                self.eval(otherwise, t)?;
                self.a.bind(end);
                Ok(())
            }
            TExprKind::Assign { target, op, value } => self.assign(target, *op, value, e.ty, t),
            TExprKind::IncDec {
                target,
                increment,
                prefix,
                step,
            } => self.incdec(target, *increment, *prefix, *step, e.ty, t),
            TExprKind::Cast(inner) => {
                self.eval(inner, t)?;
                let r = self.fetch(t, R0)?;
                self.narrow_to(r, e.ty);
                self.put(t, r)
            }
            TExprKind::Mem { addr, userland } => {
                if !self.checked.types.is_scalar(e.ty) {
                    return Err(Diag::new(
                        "D_TYPE_ERR",
                        e.span,
                        format!(
                            "cannot use a value of type {} here",
                            self.checked.types.name(e.ty)
                        ),
                    ));
                }
                self.eval(addr, t)?;
                let a = self.fetch(t, R1)?;
                let (size, signed) = self.size_sign(e.ty);
                let r = self.work_reg(t, R0)?;
                // load_mem clobbers r0-r5 before writing its result, so a
                // stack temporary goes through r0 after the read.
                self.load_mem(r, a, size, signed, *userland);
                self.put(t, r)
            }
            TExprKind::BitField {
                addr,
                userland,
                bit_offset,
                bits,
                container,
            } => {
                self.eval(addr, t)?;
                let a = self.fetch(t, R1)?;
                let r = self.work_reg(t, R0)?;
                self.load_mem(r, a, *container, false, *userland);
                let signed = self.checked.types.is_signed(e.ty);
                // Little-endian: bit 0 is the least significant bit.
                let left = 64 - (*bit_offset + *bits) as i32;
                self.emit(Insn::alu64_imm(Alu::Lsh, r, left));
                let right = 64 - *bits as i32;
                self.emit(Insn::alu64_imm(
                    if signed { Alu::Arsh } else { Alu::Rsh },
                    r,
                    right,
                ));
                self.put(t, r)
            }
            TExprKind::Call { subr, args } => self.call_scalar(*subr, args, e, t),
            TExprKind::Comma { lhs, rhs } => {
                self.eval_any(lhs, t)?;
                self.eval(rhs, t)
            }
        }
    }

    /// Evaluates an expression for its side effects only.
    pub(crate) fn eval_any(&mut self, e: &TExpr, t: u8) -> Result<()> {
        if self.checked.types.is_string(e.ty) {
            self.eval_str(e, t, None).map(|_| ())
        } else if self.checked.types.is_void(e.ty) {
            Ok(())
        } else {
            self.eval(e, t)
        }
    }

    /// `a = a op b` on registers (a, b not r0). Faults on division by zero.
    fn arith(&mut self, op: BinaryOp, a: Reg, b: Reg, signed: bool) -> Result<()> {
        use BinaryOp::*;
        let alu = match op {
            Add => Alu::Add,
            Sub => Alu::Sub,
            Mul => Alu::Mul,
            BitAnd => Alu::And,
            BitOr => Alu::Or,
            BitXor => Alu::Xor,
            Shl => Alu::Lsh,
            Shr if signed => Alu::Arsh,
            Shr => Alu::Rsh,
            Div | Mod => {
                self.fault_if_imm(Cond::Eq, b, 0, Fault::DivZero, None);
                if signed {
                    self.mov(R2, a);
                    self.mov(R3, b);
                    self.signed_divmod(R2, R3, op == Mod);
                    self.mov(a, R2);
                } else {
                    self.emit(Insn::alu64_reg(
                        if op == Div { Alu::Div } else { Alu::Mod },
                        a,
                        b,
                    ));
                }
                return Ok(());
            }
            _ => unreachable!("not an arithmetic operator"),
        };
        self.emit(Insn::alu64_reg(alu, a, b));
        Ok(())
    }

    /// `r2 = r2 / r3` (or `%`) with C's signed semantics, built from
    /// unsigned division so it runs on kernels without signed division
    /// instructions. Clobbers r0, r4, r5.
    pub(crate) fn signed_divmod(&mut self, n: Reg, d: Reg, modulo: bool) {
        debug_assert!(n == R2 && d == R3);
        // r4 = sign of the result; r2 = |n|; r3 = |d|.
        self.emit(Insn::mov64_imm(R4, 0));
        let npos = self.new_label();
        self.a.jmp_imm(Cond::Sge, R2, 0, npos);
        self.emit(Insn::alu64_imm(Alu::Neg, R2, 0));
        self.emit(Insn::mov64_imm(R4, 1));
        self.a.bind(npos);
        let dpos = self.new_label();
        self.a.jmp_imm(Cond::Sge, R3, 0, dpos);
        self.emit(Insn::alu64_imm(Alu::Neg, R3, 0));
        if !modulo {
            self.emit(Insn::alu64_imm(Alu::Xor, R4, 1));
        }
        self.a.bind(dpos);
        self.emit(Insn::alu64_reg(
            if modulo { Alu::Mod } else { Alu::Div },
            R2,
            R3,
        ));
        let done = self.new_label();
        self.a.jmp_imm(Cond::Eq, R4, 0, done);
        self.emit(Insn::alu64_imm(Alu::Neg, R2, 0));
        self.a.bind(done);
    }

    /// Jumps to `label` when `e` is false (zero, or an empty comparison).
    pub(crate) fn jump_if_false(&mut self, e: &TExpr, t: u8, label: Label) -> Result<()> {
        match &e.kind {
            TExprKind::Int(v) => {
                if *v == 0 {
                    // A conditional jump, not `ja`: the verifier rejects
                    // code its control-flow check finds unreachable, and
                    // what follows a constant-false test still has to be
                    // valid BPF. Its own analysis then prunes the branch.
                    self.emit(Insn::mov64_imm(R1, 0));
                    self.a.jmp_imm(Cond::Eq, R1, 0, label);
                }
                Ok(())
            }
            TExprKind::Logical { op, lhs, rhs } => match op {
                BinaryOp::LogAnd => {
                    self.jump_if_false(lhs, t, label)?;
                    self.jump_if_false(rhs, t, label)
                }
                BinaryOp::LogOr => {
                    let take = self.new_label();
                    let f = self.new_label();
                    self.jump_if_false(lhs, t, f)?;
                    self.a.jmp(take);
                    self.a.bind(f);
                    self.jump_if_false(rhs, t, label)?;
                    self.a.bind(take);
                    Ok(())
                }
                _ => {
                    // ^^ evaluates both sides.
                    self.truth(lhs, t)?;
                    self.truth(rhs, t + 1)?;
                    let b = self.fetch(t + 1, R2)?;
                    let a = self.fetch(t, R1)?;
                    self.a.jmp_reg(Cond::Eq, a, b, label);
                    Ok(())
                }
            },
            TExprKind::Compare { op, lhs, rhs, kind } => {
                if *kind == CompareKind::String {
                    self.str_compare(lhs, rhs, t)?;
                    let r = self.fetch(t, R0)?;
                    let cond = cmp_cond(*op, true).negate();
                    self.a.jmp_imm(cond, r, 0, label);
                    return Ok(());
                }
                self.eval(lhs, t)?;
                if let TExprKind::Int(v) = rhs.kind
                    && v >= i32::MIN as i64
                    && v <= i32::MAX as i64
                {
                    let a = self.fetch(t, R1)?;
                    let cond = cmp_cond(*op, *kind == CompareKind::Signed).negate();
                    self.a.jmp_imm(cond, a, v as i32, label);
                    return Ok(());
                }
                self.eval(rhs, t + 1)?;
                let b = self.fetch(t + 1, R2)?;
                let a = self.fetch(t, R1)?;
                let cond = cmp_cond(*op, *kind == CompareKind::Signed).negate();
                self.a.jmp_reg(cond, a, b, label);
                Ok(())
            }
            TExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let skip = self.new_label();
                self.jump_if_false(operand, t, skip)?;
                self.a.jmp(label);
                self.a.bind(skip);
                Ok(())
            }
            _ if self.checked.types.is_string(e.ty) => {
                // A string is true when it is not empty.
                let loc = self.eval_str(e, t, None)?;
                self.str_ptr(loc, R1);
                self.emit(Insn::load(BPF_B, R1, R1, 0));
                self.a.jmp_imm(Cond::Eq, R1, 0, label);
                Ok(())
            }
            _ => {
                self.eval(e, t)?;
                let r = self.fetch(t, R1)?;
                self.a.jmp_imm(Cond::Eq, r, 0, label);
                Ok(())
            }
        }
    }

    /// `t = (e != 0)`.
    fn truth(&mut self, e: &TExpr, t: u8) -> Result<()> {
        let f = self.new_label();
        let end = self.new_label();
        self.jump_if_false(e, t, f)?;
        let r = self.work_reg(t, R0)?;
        self.mov_imm(r, 1);
        self.a.jmp(end);
        self.a.bind(f);
        self.mov_imm(r, 0);
        self.a.bind(end);
        self.put(t, r)
    }

    fn builtin(&mut self, b: Builtin, e: &TExpr, t: u8) -> Result<()> {
        let r = self.work_reg(t, R0)?;
        match b {
            Builtin::Arg(n) => {
                self.emit(Insn::load(
                    BPF_DW,
                    r,
                    R9,
                    (self.args_off + 8 * n as u32) as i16,
                ));
            }
            Builtin::Pid | Builtin::Tid => {
                self.call(helper::GET_CURRENT_PID_TGID);
                if b == Builtin::Pid {
                    self.emit(Insn::alu64_imm(Alu::Rsh, R0, 32));
                } else {
                    self.zero_extend(R0, 4);
                }
                self.mov(r, R0);
            }
            Builtin::Uid | Builtin::Gid => {
                self.call(helper::GET_CURRENT_UID_GID);
                if b == Builtin::Gid {
                    self.emit(Insn::alu64_imm(Alu::Rsh, R0, 32));
                } else {
                    self.zero_extend(R0, 4);
                }
                self.mov(r, R0);
            }
            Builtin::Timestamp => {
                self.emit(Insn::load(BPF_DW, r, R9, scratch::TIMESTAMP as i16));
            }
            Builtin::Walltimestamp => {
                self.globals_ptr(R1, globals::WALL_OFFSET);
                self.emit(Insn::load(BPF_DW, R1, R1, 0));
                self.emit(Insn::load(BPF_DW, r, R9, scratch::TIMESTAMP as i16));
                self.emit(Insn::alu64_reg(Alu::Add, r, R1));
            }
            Builtin::Vtimestamp => {
                self.vtimestamp(r)?;
            }
            Builtin::Cpu => {
                self.emit(Insn::load(BPF_DW, r, R9, scratch::CPU as i16));
            }
            Builtin::Id => self.probe_id(r)?,
            Builtin::Epid => {
                self.emit(Insn::load(BPF_DW, r, R9, scratch::EPID as i16));
            }
            Builtin::Errno => {
                self.emit(Insn::load(BPF_DW, r, R9, scratch::ERRNO as i16));
            }
            Builtin::Curthread => {
                self.call(helper::GET_CURRENT_TASK);
                self.mov(r, R0);
            }
            Builtin::Ppid => {
                let (parent_off, tgid_off) = self.task_offsets(e)?;
                self.call(helper::GET_CURRENT_TASK);
                self.mov(R1, R0);
                self.emit(Insn::alu64_imm(Alu::Add, R1, parent_off as i32));
                self.load_mem(r, R1, 8, false, false);
                self.emit(Insn::alu64_imm(Alu::Add, r, tgid_off as i32));
                let rr = if r == R0 { R1 } else { r };
                self.mov(R1, r);
                self.load_mem(rr, R1, 4, true, false);
                self.mov(r, rr);
            }
            Builtin::Stackdepth | Builtin::Ustackdepth | Builtin::Caller | Builtin::Ucaller => {
                return Err(Diag::new(
                    "D_VAR_UNSUP",
                    e.span,
                    "this built-in variable is not supported yet",
                ));
            }
            Builtin::Execname
            | Builtin::Probeprov
            | Builtin::Probemod
            | Builtin::Probefunc
            | Builtin::Probename => {
                return Err(Diag::new(
                    "D_TYPE_ERR",
                    e.span,
                    "string used where a scalar is required",
                ));
            }
        }
        self.put(t, r)
    }

    /// Offsets of `real_parent` and `tgid` in the kernel's task_struct.
    fn task_offsets(&self, e: &TExpr) -> Result<(u32, u32)> {
        let err = || {
            Diag::new(
                "D_VAR_UNSUP",
                e.span,
                "ppid requires kernel BTF (/sys/kernel/btf/vmlinux)",
            )
        };
        let btf = self.btf.get().ok_or_else(err)?;
        let ts = btf
            .find_named(crate::btf::Kind::Struct, "task_struct")
            .ok_or_else(err)?;
        let (p, _) = btf.member_offset(ts, "real_parent").ok_or_else(err)?;
        let (g, _) = btf.member_offset(ts, "tgid").ok_or_else(err)?;
        Ok((p, g))
    }

    /// `vtimestamp`: the thread's accumulated on-CPU time.
    fn vtimestamp(&mut self, r: Reg) -> Result<()> {
        let err = || Diag::without_span("D_VAR_UNSUP", "vtimestamp requires kernel BTF");
        let btf = self.btf.get().ok_or_else(err)?;
        let ts = btf
            .find_named(crate::btf::Kind::Struct, "task_struct")
            .ok_or_else(err)?;
        let (se, se_ty) = btf.member_offset(ts, "se").ok_or_else(err)?;
        let (sum, _) = btf
            .member_offset(se_ty, "sum_exec_runtime")
            .ok_or_else(err)?;
        self.call(helper::GET_CURRENT_TASK);
        self.mov(R1, R0);
        self.emit(Insn::alu64_imm(Alu::Add, R1, (se + sum) as i32));
        self.load_mem(r, R1, 8, false, false);
        Ok(())
    }

    /// The firing probe's id.
    fn probe_id(&mut self, r: Reg) -> Result<()> {
        if self.group.probes.len() == 1 {
            let id = self.group.probes[0];
            self.mov_imm(r, id as i64);
            return Ok(());
        }
        let table: Vec<u8> = self
            .group
            .probes
            .iter()
            .flat_map(|p| p.to_le_bytes())
            .collect();
        let off = self.rodata.add(&table);
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::PIDX as i16));
        self.emit(Insn::alu64_imm(Alu::Lsh, R1, 2));
        self.rodata_ptr(r, off);
        self.emit(Insn::alu64_reg(Alu::Add, r, R1));
        self.emit(Insn::load(BPF_W, r, r, 0));
        Ok(())
    }

    // -- variables -------------------------------------------------------------

    fn load_var(&mut self, id: VarId, e: &TExpr, t: u8) -> Result<()> {
        let info = &self.checked.vars[id.0 as usize];
        match info.scope {
            VarScope::Global => {
                let off = self.layout.global_off[&id];
                let r = self.work_reg(t, R0)?;
                self.globals_ptr(r, off);
                self.emit(Insn::load(BPF_DW, r, r, 0));
                self.put(t, r)
            }
            VarScope::Clause => {
                let off = self.layout.this_off[&id];
                let r = self.work_reg(t, R0)?;
                self.emit(Insn::load(BPF_DW, r, R9, off as i16));
                self.put(t, r)
            }
            VarScope::Thread => {
                self.thread_key();
                let map = self.layout.var_map[&id];
                self.lookup_scalar(map, KeyLoc::Stack, t)
            }
            VarScope::Assoc => Err(Diag::new(
                "D_ASSOC_NOIDX",
                e.span,
                "associative array used without a key",
            )),
        }
    }

    /// The thread-local key (the thread id) at `frame::KEY`.
    pub(crate) fn thread_key(&mut self) {
        self.call(helper::GET_CURRENT_PID_TGID);
        self.zero_extend(R0, 4);
        self.emit(Insn::store_reg(BPF_DW, FP, frame::KEY, R0));
    }

    /// Loads a scalar map value (0 when absent) into `t`.
    fn lookup_scalar(&mut self, map: u32, key: KeyLoc, t: u8) -> Result<()> {
        self.map_ref(R1, map);
        self.key_ptr(R2, key);
        self.call(helper::MAP_LOOKUP_ELEM);
        let r = self.work_reg(t, R1)?;
        let none = self.new_label();
        let end = self.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, none);
        self.emit(Insn::load(BPF_DW, r, R0, 0));
        self.a.jmp(end);
        self.a.bind(none);
        self.mov_imm(r, 0);
        self.a.bind(end);
        self.put(t, r)
    }

    pub(crate) fn key_ptr(&mut self, dst: Reg, key: KeyLoc) {
        match key {
            KeyLoc::Stack => {
                self.mov(dst, FP);
                self.emit(Insn::alu64_imm(Alu::Add, dst, frame::KEY as i32));
            }
            KeyLoc::Scratch(off) => self.scratch_ptr(dst, off),
        }
    }

    /// Builds the tuple key of an associative array in scratch.
    pub(crate) fn build_key(&mut self, var: VarId, keys: &[TExpr], t: u8) -> Result<KeyLoc> {
        let info = &self.checked.vars[var.0 as usize];
        let types: Vec<TypeId> = info.keys.clone();
        self.build_tuple(&types, keys, t)
    }

    /// Lays out key expressions as a packed tuple: 8 bytes per scalar,
    /// `strsize` per string.
    pub(crate) fn build_tuple(
        &mut self,
        types: &[TypeId],
        keys: &[TExpr],
        t: u8,
    ) -> Result<KeyLoc> {
        let size: u32 = types
            .iter()
            .map(|&k| super::key_slot(&self.checked.types, k, self.strsize))
            .sum::<u32>()
            .max(8);
        let base = self.alloc_scratch(size);
        if types.is_empty() {
            self.emit(Insn::store_imm(BPF_DW, R9, base as i16, 0));
        }
        let mut off = base;
        for (k, &kt) in keys.iter().zip(types) {
            if self.checked.types.is_string(kt) {
                self.eval_str(k, t, Some(off))?;
                off += self.strsize;
            } else {
                self.eval(k, t)?;
                let r = self.fetch(t, R1)?;
                self.emit(Insn::store_reg(BPF_DW, R9, off as i16, r));
                off += 8;
            }
        }
        Ok(KeyLoc::Scratch(base))
    }

    fn assign(
        &mut self,
        target: &LValue,
        op: Option<BinaryOp>,
        value: &TExpr,
        ty: TypeId,
        t: u8,
    ) -> Result<()> {
        if self.checked.types.is_string(ty) {
            return self.assign_str(target, value, t).map(|_| ());
        }
        let signed = self.checked.types.is_signed(ty);
        match op {
            None => self.eval(value, t)?,
            Some(op) => {
                self.read_lvalue(target, t)?;
                self.eval(value, t + 1)?;
                let b = self.fetch(t + 1, R2)?;
                let a = self.fetch(t, R1)?;
                if self.checked.types.is_pointer(ty) && matches!(op, BinaryOp::Add | BinaryOp::Sub)
                {
                    let scale = self
                        .checked
                        .types
                        .referent(ty)
                        .map_or(1, |r| self.checked.types.size_of(r, 8).max(1));
                    self.mov(R2, b);
                    self.emit(Insn::alu64_imm(Alu::Mul, R2, scale as i32));
                    self.emit(Insn::alu64_reg(
                        if op == BinaryOp::Add {
                            Alu::Add
                        } else {
                            Alu::Sub
                        },
                        a,
                        R2,
                    ));
                } else {
                    self.arith(op, a, b, signed)?;
                }
                self.narrow_to(a, ty);
                self.put(t, a)?;
            }
        }
        self.write_lvalue(target, t)
    }

    fn incdec(
        &mut self,
        target: &LValue,
        inc: bool,
        prefix: bool,
        step: u64,
        ty: TypeId,
        t: u8,
    ) -> Result<()> {
        self.read_lvalue(target, t)?;
        // t+1 keeps the old value for postfix forms.
        let old = self.fetch(t, R1)?;
        self.put(t + 1, old)?;
        let a = self.fetch(t, R1)?;
        self.emit(Insn::alu64_imm(
            if inc { Alu::Add } else { Alu::Sub },
            a,
            step as i32,
        ));
        self.narrow_to(a, ty);
        self.put(t, a)?;
        self.write_lvalue(target, t)?;
        if !prefix {
            let o = self.fetch(t + 1, R1)?;
            self.put(t, o)?;
        }
        Ok(())
    }

    fn read_lvalue(&mut self, target: &LValue, t: u8) -> Result<()> {
        match target {
            LValue::Var(id) => {
                let ty = self.checked.vars[id.0 as usize].ty;
                let e = TExpr {
                    kind: TExprKind::Var(*id),
                    ty,
                    span: Default::default(),
                };
                self.load_var(*id, &e, t)
            }
            LValue::Assoc { var, keys } => {
                let key = self.build_key(*var, keys, t)?;
                let map = self.layout.var_map[var];
                self.lookup_scalar(map, key, t)
            }
        }
    }

    /// Stores temporary `t` into the target. Dynamic variables (thread-local
    /// and associative) are deleted when assigned zero, as in DTrace.
    fn write_lvalue(&mut self, target: &LValue, t: u8) -> Result<()> {
        match target {
            LValue::Var(id) => {
                let info = &self.checked.vars[id.0 as usize];
                match info.scope {
                    VarScope::Global => {
                        let off = self.layout.global_off[id];
                        let r = self.fetch(t, R2)?;
                        self.globals_ptr(R1, off);
                        self.emit(Insn::store_reg(BPF_DW, R1, 0, r));
                        Ok(())
                    }
                    VarScope::Clause => {
                        let off = self.layout.this_off[id];
                        let r = self.fetch(t, R2)?;
                        self.emit(Insn::store_reg(BPF_DW, R9, off as i16, r));
                        Ok(())
                    }
                    VarScope::Thread => {
                        self.thread_key();
                        let map = self.layout.var_map[id];
                        self.store_dynamic(map, KeyLoc::Stack, t)
                    }
                    VarScope::Assoc => Err(Diag::without_span(
                        "D_ASSOC_NOIDX",
                        "associative array used without a key",
                    )),
                }
            }
            LValue::Assoc { var, keys } => {
                // Keys are evaluated into t+1.. so t keeps the value.
                let key = self.build_key(*var, keys, t + 1)?;
                let map = self.layout.var_map[var];
                self.store_dynamic(map, key, t)
            }
        }
    }

    fn store_dynamic(&mut self, map: u32, key: KeyLoc, t: u8) -> Result<()> {
        let v = self.fetch(t, R1)?;
        let del = self.new_label();
        let end = self.new_label();
        self.a.jmp_imm(Cond::Eq, v, 0, del);
        self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE2, v));
        self.map_ref(R1, map);
        self.key_ptr(R2, key);
        self.mov(R3, FP);
        self.emit(Insn::alu64_imm(Alu::Add, R3, frame::SAVE2 as i32));
        self.emit(Insn::mov64_imm(R4, 0));
        self.call(helper::MAP_UPDATE_ELEM);
        self.a.jmp_imm(Cond::Eq, R0, 0, end);
        self.bump_counter(crate::object::counter::DYNVAR_DROPS);
        self.a.jmp(end);
        self.a.bind(del);
        self.map_ref(R1, map);
        self.key_ptr(R2, key);
        self.call(helper::MAP_DELETE_ELEM);
        self.a.bind(end);
        Ok(())
    }

    fn call_scalar(&mut self, subr: Subr, args: &[TExpr], e: &TExpr, t: u8) -> Result<()> {
        let r = self.work_reg(t, R0)?;
        match subr {
            Subr::Strlen => {
                let loc = self.eval_str(&args[0], t, None)?;
                self.strlen(loc, r);
            }
            Subr::Rand => {
                self.call(helper::GET_PRANDOM_U32);
                self.mov(r, R0);
                self.narrow_to(r, e.ty);
            }
            Subr::Htons | Subr::Ntohs | Subr::Htonl | Subr::Ntohl | Subr::Htonll | Subr::Ntohll => {
                self.eval(&args[0], t)?;
                let v = self.fetch(t, R0)?;
                let bits = match subr {
                    Subr::Htons | Subr::Ntohs => 16,
                    Subr::Htonl | Subr::Ntohl => 32,
                    _ => 64,
                };
                self.emit(Insn::to_be(v, bits));
                self.mov(r, v);
            }
            Subr::Getmajor | Subr::Getminor => {
                self.eval(&args[0], t)?;
                let v = self.fetch(t, R0)?;
                // The kernel's dev_t: major in the high 12 bits of 32.
                if subr == Subr::Getmajor {
                    self.emit(Insn::alu64_imm(Alu::Rsh, v, 20));
                    self.emit(Insn::alu64_imm(Alu::And, v, 0xfff));
                } else {
                    self.emit(Insn::alu64_imm(Alu::And, v, 0xfffff));
                }
                self.mov(r, v);
            }
            Subr::Progenyof => {
                return Err(Diag::new(
                    "D_FUNC_UNSUP",
                    e.span,
                    "progenyof( ) is not supported yet",
                ));
            }
            _ => {
                return Err(Diag::new(
                    "D_TYPE_ERR",
                    e.span,
                    "string used where a scalar is required",
                ));
            }
        }
        self.put(t, r)
    }
}

use super::Gen;

/// Where a map key was built.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyLoc {
    /// The 8-byte `frame::KEY` stack slot.
    Stack,
    Scratch(u32),
}

/// The jump condition that holds when `a op b`.
pub(crate) fn cmp_cond(op: BinaryOp, signed: bool) -> Cond {
    use BinaryOp::*;
    match (op, signed) {
        (Eq, _) => Cond::Eq,
        (Ne, _) => Cond::Ne,
        (Lt, true) => Cond::Slt,
        (Le, true) => Cond::Sle,
        (Gt, true) => Cond::Sgt,
        (Ge, true) => Cond::Sge,
        (Lt, false) => Cond::Lt,
        (Le, false) => Cond::Le,
        (Gt, false) => Cond::Gt,
        (Ge, false) => Cond::Ge,
        _ => Cond::Ne,
    }
}
