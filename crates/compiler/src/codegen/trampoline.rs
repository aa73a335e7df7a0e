//! The probe program: trampoline, clauses, and shared subprograms.
//!
//! ```text
//!   trampoline   ctx → stack; scratch = scratch_map[cpu]; state gate;
//!                slot of the firing probe; arg0..arg9; timestamp
//!   clause 1     [slot guard] [predicate] body; send record
//!   clause 2     ...
//!   exit         r0 = 0
//!   fault sub    report the fault; run the ERROR clauses
//!   strcmp sub
//! ```
//!
//! A fault in a clause abandons that clause (its record is not sent),
//! reports the fault, and continues with the next clause, as DTrace does.

use super::emit::{ClauseCtx, frame};
use super::{Gen, scratch};
use crate::bpf::insn::*;
use crate::object::{counter, globals, state};
use crate::probes::{ContextLayout, RunsIn, Selector};
use crate::tir::*;
use dtrace_syntax::diag::{Diag, Result};

/// x86-64 `struct pt_regs` offsets.
mod regs {
    pub const R9: u32 = 64;
    pub const R8: u32 = 72;
    pub const R10: u32 = 56;
    pub const AX: u32 = 80;
    pub const CX: u32 = 88;
    pub const DX: u32 = 96;
    pub const SI: u32 = 104;
    pub const DI: u32 = 112;
    pub const ORIG_AX: u32 = 120;
    pub const IP: u32 = 128;
    pub const CS: u32 = 136;
    /// Syscall arguments in ABI order.
    pub const SYSCALL_ARGS: [u32; 6] = [DI, SI, DX, R10, R8, R9];
    /// Function-call arguments in ABI order.
    pub const CALL_ARGS: [u32; 6] = [DI, SI, DX, CX, R8, R9];
}

/// What the clauses of a program use, to keep unused work out of the
/// trampoline.
#[derive(Default)]
struct Uses {
    args: bool,
    timestamp: bool,
}

fn scan_expr(e: &TExpr, u: &mut Uses) {
    use TExprKind::*;
    match &e.kind {
        Builtin(crate::tir::Builtin::Arg(_)) | TypedArg(_) => u.args = true,
        Builtin(crate::tir::Builtin::Timestamp | crate::tir::Builtin::Walltimestamp) => {
            u.timestamp = true
        }
        Int(_) | Str(_) | Builtin(_) | Var(_) => {}
        AssocGet { keys, .. } => keys.iter().for_each(|k| scan_expr(k, u)),
        Unary { operand, .. } | Cast(operand) => scan_expr(operand, u),
        Binary { lhs, rhs, .. }
        | Logical { lhs, rhs, .. }
        | Compare { lhs, rhs, .. }
        | PtrDiff { lhs, rhs, .. }
        | Comma { lhs, rhs } => {
            scan_expr(lhs, u);
            scan_expr(rhs, u);
        }
        PtrArith { ptr, int, .. } => {
            scan_expr(ptr, u);
            scan_expr(int, u);
        }
        Ternary {
            cond,
            then,
            otherwise,
        } => {
            scan_expr(cond, u);
            scan_expr(then, u);
            scan_expr(otherwise, u);
        }
        Assign { target, value, .. } => {
            scan_lvalue(target, u);
            scan_expr(value, u);
        }
        IncDec { target, .. } => scan_lvalue(target, u),
        Mem { addr, .. } | BitField { addr, .. } => scan_expr(addr, u),
        StrFrom { addr, max, .. } => {
            scan_expr(addr, u);
            if let Some(m) = max {
                scan_expr(m, u);
            }
        }
        Call { args, .. } => args.iter().for_each(|a| scan_expr(a, u)),
    }
}

fn scan_lvalue(l: &LValue, u: &mut Uses) {
    if let LValue::Assoc { keys, .. } = l {
        keys.iter().for_each(|k| scan_expr(k, u));
    }
}

fn scan_stmts(body: &[TStmt], u: &mut Uses) {
    for s in body {
        match s {
            TStmt::Expr(e) => scan_expr(e, u),
            TStmt::If {
                cond,
                then,
                otherwise,
            } => {
                scan_expr(cond, u);
                scan_stmts(then, u);
                scan_stmts(otherwise, u);
            }
            TStmt::Action(a) => match &a.kind {
                ActionKind::Trace(e) | ActionKind::Exit(e) | ActionKind::Raise(e) => {
                    scan_expr(e, u)
                }
                ActionKind::Printf { args, .. }
                | ActionKind::System { args, .. }
                | ActionKind::Freopen { args, .. } => args.iter().for_each(|e| scan_expr(e, u)),
                ActionKind::AggUpdate { keys, args, .. } => {
                    keys.iter().chain(args).for_each(|e| scan_expr(e, u))
                }
                ActionKind::Trunc(_, Some(e)) | ActionKind::Normalize(_, e) => scan_expr(e, u),
                ActionKind::Tracemem(e, _) => scan_expr(e, u),
                _ => {}
            },
        }
    }
}

impl Gen<'_> {
    /// Generates the whole program for the group. `clauses` lists, in
    /// program order, each clause run by the group with the slots it is
    /// enabled on and its first epid (epid = first + slot).
    pub(crate) fn program(&mut self, clauses: &[(usize, Vec<usize>, u32)]) -> Result<Vec<Insn>> {
        let mut uses = Uses::default();
        for (ci, _, _) in clauses {
            let c = &self.checked.clauses[*ci];
            if let Some(p) = &c.predicate {
                scan_expr(p, &mut uses);
            }
            scan_stmts(&c.body, &mut uses);
        }
        for &(ci, _) in &self.error_epids {
            let c = &self.checked.clauses[ci];
            if let Some(p) = &c.predicate {
                scan_expr(p, &mut uses);
            }
            scan_stmts(&c.body, &mut uses);
        }
        let out = self.new_label();
        self.prologue(out, &uses)?;
        for (ci, slots, epid_base) in clauses {
            self.clause(*ci, slots, *epid_base, out)?;
        }
        self.a.bind(out);
        self.emit(Insn::mov64_imm(R0, 0));
        self.emit(Insn::exit());
        self.emit_fault_sub()?;
        self.emit_strcmp_sub();
        let a = std::mem::take(&mut self.a);
        a.finish().map_err(|e| {
            Diag::without_span(
                "D_PROG_SIZE",
                format!("generated program cannot be assembled: {e:?}"),
            )
        })
    }

    fn prologue(&mut self, out: crate::bpf::asm::Label, uses: &Uses) -> Result<()> {
        self.emit(Insn::store_reg(BPF_DW, FP, frame::CTX, R1));
        self.mov(R6, R1);
        // scratch = scratch_map[cpu]
        self.call(helper::GET_SMP_PROCESSOR_ID);
        self.emit(Insn::store_reg(BPF_W, FP, frame::KEY, R0));
        self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE, R0));
        self.map_ref(R1, self.layout.scratch_map);
        self.mov(R2, FP);
        self.emit(Insn::alu64_imm(Alu::Add, R2, frame::KEY as i32));
        self.call(helper::MAP_LOOKUP_ELEM);
        self.a.jmp_imm(Cond::Eq, R0, 0, out);
        self.mov(R9, R0);
        self.emit(Insn::load(BPF_DW, R1, FP, frame::SAVE));
        self.emit(Insn::store_reg(BPF_DW, R9, scratch::CPU as i16, R1));
        // The state gate.
        let want = match self.group.runs_in {
            RunsIn::Begin => state::WARMUP,
            RunsIn::Active => state::ACTIVE,
            RunsIn::End => state::DRAINING,
        };
        self.globals_ptr(R1, globals::STATE);
        self.emit(Insn::load(BPF_W, R1, R1, 0));
        self.a.jmp_imm(Cond::Ne, R1, want as i32, out);
        self.emit(Insn::store_imm(BPF_DW, R9, scratch::ERRNO as i16, 0));
        // Which probe of the group fired.
        match self.group.selector {
            Selector::Single => {
                self.emit(Insn::store_imm(BPF_DW, R9, scratch::PIDX as i16, 0));
            }
            Selector::CtxArg(n) => {
                self.emit(Insn::load(BPF_DW, R1, R6, (8 * n) as i16));
                self.emit(Insn::store_reg(BPF_DW, R9, scratch::PIDX as i16, R1));
            }
            Selector::Cookie => {
                self.mov(R1, R6);
                self.call(helper::GET_ATTACH_COOKIE);
                self.emit(Insn::store_reg(BPF_DW, R9, scratch::PIDX as i16, R0));
            }
            Selector::SyscallNr => self.syscall_selector(out)?,
        }
        if uses.args || matches!(self.group.context, ContextLayout::SyscallExit) {
            self.load_args(out)?;
        }
        if uses.timestamp {
            self.call(helper::KTIME_GET_NS);
            self.emit(Insn::store_reg(BPF_DW, R9, scratch::TIMESTAMP as i16, R0));
        }
        Ok(())
    }

    /// Slot from the syscall number through the group's table in rodata.
    fn syscall_selector(&mut self, out: crate::bpf::asm::Label) -> Result<()> {
        let max = self.group.keys.iter().copied().max().unwrap_or(0) as usize;
        let mut table = vec![0xffu8; 2 * (max + 1)];
        for (slot, &nr) in self.group.keys.iter().enumerate() {
            let b = (slot as u16).to_le_bytes();
            table[2 * nr as usize] = b[0];
            table[2 * nr as usize + 1] = b[1];
        }
        let off = self.rodata.add(&table);
        match self.group.context {
            ContextLayout::SyscallExit => {
                // sys_exit does not pass the number: read regs->orig_ax.
                self.emit(Insn::load(BPF_DW, R3, R6, 0));
                self.emit(Insn::alu64_imm(Alu::Add, R3, regs::ORIG_AX as i32));
                self.mov(R1, FP);
                self.emit(Insn::alu64_imm(Alu::Add, R1, frame::READ as i32));
                self.emit(Insn::mov64_imm(R2, 8));
                self.call(helper::PROBE_READ_KERNEL);
                self.a.jmp_imm(Cond::Ne, R0, 0, out);
                self.emit(Insn::load(BPF_DW, R1, FP, frame::READ));
            }
            _ => self.emit(Insn::load(BPF_DW, R1, R6, 8)),
        }
        self.a.jmp_imm(Cond::Gt, R1, max as i32, out);
        self.emit(Insn::alu64_imm(Alu::Lsh, R1, 1));
        self.rodata_ptr(R2, off);
        self.emit(Insn::alu64_reg(Alu::Add, R2, R1));
        self.emit(Insn::load(BPF_H, R1, R2, 0));
        self.a.jmp_imm(Cond::Eq, R1, 0xffff, out);
        self.emit(Insn::store_reg(BPF_DW, R9, scratch::PIDX as i16, R1));
        Ok(())
    }

    fn load_args(&mut self, out: crate::bpf::asm::Label) -> Result<()> {
        let args = scratch::ARGS;
        match self.group.context.clone() {
            ContextLayout::RawArgs { first, count } => {
                for i in 0..10u32 {
                    if i < count {
                        self.emit(Insn::load(BPF_DW, R1, R6, (8 * (first + i)) as i16));
                        self.emit(Insn::store_reg(BPF_DW, R9, (args + 8 * i) as i16, R1));
                    } else {
                        self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0));
                    }
                }
            }
            ContextLayout::SyscallEntry => {
                // Copy the saved user registers, then pick the arguments.
                self.emit(Insn::load(BPF_DW, R3, R6, 0));
                self.scratch_ptr(R1, scratch::REGS);
                self.emit(Insn::mov64_imm(R2, scratch::REGS_SIZE as i32));
                self.call(helper::PROBE_READ_KERNEL);
                self.a.jmp_imm(Cond::Ne, R0, 0, out);
                for i in 0..10u32 {
                    if let Some(&r) = regs::SYSCALL_ARGS.get(i as usize) {
                        self.emit(Insn::load(BPF_DW, R1, R9, (scratch::REGS + r) as i16));
                        self.emit(Insn::store_reg(BPF_DW, R9, (args + 8 * i) as i16, R1));
                    } else {
                        self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0));
                    }
                }
            }
            ContextLayout::SyscallExit => {
                self.emit(Insn::load(BPF_DW, R1, R6, 8));
                self.emit(Insn::store_reg(BPF_DW, R9, args as i16, R1));
                self.emit(Insn::store_reg(BPF_DW, R9, (args + 8) as i16, R1));
                for i in 2..10u32 {
                    self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0));
                }
                // A failed syscall returns -errno in the kernel; DTrace
                // shows what the program sees: arg0 = arg1 = -1 and the
                // error number in `errno`.
                let ok = self.new_label();
                self.a.jmp_imm(Cond::Sge, R1, 0, ok);
                self.a.jmp_imm(Cond::Slt, R1, -4095, ok);
                self.emit(Insn::alu64_imm(Alu::Neg, R1, 0));
                self.emit(Insn::store_reg(BPF_DW, R9, scratch::ERRNO as i16, R1));
                self.emit(Insn::mov64_imm(R1, -1));
                self.emit(Insn::store_reg(BPF_DW, R9, args as i16, R1));
                self.emit(Insn::store_reg(BPF_DW, R9, (args + 8) as i16, R1));
                self.a.bind(ok);
            }
            ContextLayout::ProfileRegs => {
                self.emit(Insn::load(BPF_DW, R1, R6, regs::IP as i16));
                self.emit(Insn::load(BPF_DW, R2, R6, regs::CS as i16));
                self.emit(Insn::alu64_imm(Alu::And, R2, 3));
                let user = self.new_label();
                let done = self.new_label();
                self.a.jmp_imm(Cond::Eq, R2, 3, user);
                self.emit(Insn::store_reg(BPF_DW, R9, args as i16, R1));
                self.emit(Insn::store_imm(BPF_DW, R9, (args + 8) as i16, 0));
                self.a.jmp(done);
                self.a.bind(user);
                self.emit(Insn::store_imm(BPF_DW, R9, args as i16, 0));
                self.emit(Insn::store_reg(BPF_DW, R9, (args + 8) as i16, R1));
                self.a.bind(done);
                for i in 2..10u32 {
                    self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0));
                }
            }
            ContextLayout::PtRegs { ret } => {
                for i in 0..10u32 {
                    let src = if ret {
                        (i < 2).then_some(regs::AX)
                    } else {
                        regs::CALL_ARGS.get(i as usize).copied()
                    };
                    match src {
                        Some(r) => {
                            self.emit(Insn::load(BPF_DW, R1, R6, r as i16));
                            self.emit(Insn::store_reg(BPF_DW, R9, (args + 8 * i) as i16, R1));
                        }
                        None => self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0)),
                    }
                }
            }
            ContextLayout::TracepointFields(fields) => {
                for i in 0..10u32 {
                    match fields.get(i as usize) {
                        Some(f) => {
                            let size = f.size.clamp(1, 8);
                            let size = if size.is_power_of_two() { size } else { 8 };
                            self.emit(Insn::load(size_bits(size), R1, R6, f.offset as i16));
                            if f.signed && size < 8 {
                                self.sign_extend(R1, size);
                            }
                            self.emit(Insn::store_reg(BPF_DW, R9, (args + 8 * i) as i16, R1));
                        }
                        None => self.emit(Insn::store_imm(BPF_DW, R9, (args + 8 * i) as i16, 0)),
                    }
                }
            }
        }
        Ok(())
    }

    /// One clause: slot guard, predicate, body, record.
    fn clause(
        &mut self,
        ci: usize,
        slots: &[usize],
        epid_base: u32,
        _out: crate::bpf::asm::Label,
    ) -> Result<()> {
        let next = self.new_label();
        let nslots = self.group.probes.len();
        if slots.len() != nslots {
            self.emit(Insn::load(BPF_DW, R1, R9, scratch::PIDX as i16));
            if slots.len() == 1 {
                self.a.jmp_imm(Cond::Ne, R1, slots[0] as i32, next);
            } else {
                let mut bits = vec![0u8; nslots.div_ceil(8)];
                for &s in slots {
                    bits[s / 8] |= 1 << (s % 8);
                }
                let off = self.rodata.add(&bits);
                self.a.jmp_imm(Cond::Ge, R1, nslots as i32, next);
                self.mov(R2, R1);
                self.emit(Insn::alu64_imm(Alu::Rsh, R2, 3));
                self.rodata_ptr(R3, off);
                self.emit(Insn::alu64_reg(Alu::Add, R3, R2));
                self.emit(Insn::load(BPF_B, R3, R3, 0));
                self.emit(Insn::alu64_imm(Alu::And, R1, 7));
                self.emit(Insn::alu64_reg(Alu::Rsh, R3, R1));
                self.emit(Insn::alu64_imm(Alu::And, R3, 1));
                self.a.jmp_imm(Cond::Eq, R3, 0, next);
            }
        }
        // epid = first + slot
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::PIDX as i16));
        self.emit(Insn::alu64_imm(Alu::Add, R1, epid_base as i32));
        self.emit(Insn::store_reg(BPF_DW, R9, scratch::EPID as i16, R1));
        self.clause_body(ci, R1, next)?;
        self.a.bind(next);
        Ok(())
    }

    /// Predicate, statements and record of clause `ci`; the epid is in
    /// `epid_reg` on entry. Jumps to `next` when done.
    fn clause_body(
        &mut self,
        ci: usize,
        epid_reg: Reg,
        next: crate::bpf::asm::Label,
    ) -> Result<()> {
        let fault = self.new_label();
        self.scratch_cur = self.layout.clause_area;
        let rec_size = self.layout.records[ci].size;
        let record = if self.layout.records[ci].actions.is_empty() {
            0
        } else {
            self.alloc_scratch(rec_size)
        };
        self.clause = Some(ClauseCtx {
            fault,
            action: 0,
            record,
            clause: ci,
            static_present: 0,
            cond_depth: 0,
            next_action: 0,
        });
        if record != 0 {
            // Header: epid, cpu, present = 0.
            self.emit(Insn::store_reg(BPF_W, R9, record as i16, epid_reg));
            self.emit(Insn::load(BPF_DW, R1, R9, scratch::CPU as i16));
            self.emit(Insn::store_reg(BPF_W, R9, (record + 4) as i16, R1));
            self.emit(Insn::store_imm(BPF_DW, R9, (record + 8) as i16, 0));
        }
        let checked = self.checked;
        let c = &checked.clauses[ci];
        if let Some(p) = &c.predicate {
            self.jump_if_false(p, 0, next)?;
        }
        self.stmts(&c.body)?;
        self.emit_record();
        self.a.jmp(next);
        // The fault path: report, then go on with the next clause. The
        // verifier refuses unreachable code, so it exists only when some
        // instruction of the clause can fault.
        if !self.a.is_referenced(fault) {
            self.clause = None;
            return Ok(());
        }
        self.a.bind(fault);
        if self.in_error_handler {
            self.bump_counter(counter::ERROR_ERRORS);
            self.a.jmp(next);
        } else {
            let sub = match self.fault_sub {
                Some(l) => l,
                None => {
                    let l = self.new_label();
                    self.fault_sub = Some(l);
                    l
                }
            };
            self.mov(R1, R9);
            self.a.call_local(sub);
            self.a.jmp(next);
        }
        self.clause = None;
        Ok(())
    }

    fn stmts(&mut self, body: &[TStmt]) -> Result<()> {
        for s in body {
            let mark = self.scratch_cur;
            match s {
                TStmt::Expr(e) => {
                    // An expression statement is an action of its own in
                    // DTrace's numbering of faults ("in action #N").
                    if let Some(c) = self.clause.as_mut() {
                        c.action += 1;
                    }
                    self.eval_any(e, 0)?
                }
                TStmt::Action(a) => self.action(a, 0)?,
                TStmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let f = self.new_label();
                    let end = self.new_label();
                    self.jump_if_false(cond, 0, f)?;
                    self.scratch_cur = mark;
                    if let Some(c) = self.clause.as_mut() {
                        c.cond_depth += 1;
                    }
                    self.stmts(then)?;
                    self.a.jmp(end);
                    self.a.bind(f);
                    self.stmts(otherwise)?;
                    self.a.bind(end);
                    if let Some(c) = self.clause.as_mut() {
                        c.cond_depth -= 1;
                    }
                }
            }
            self.scratch_cur = mark;
        }
        Ok(())
    }

    /// The fault handler subprogram (r1 = scratch): sends the fault report,
    /// then runs the ERROR clauses with the ERROR probe's arguments.
    fn emit_fault_sub(&mut self) -> Result<()> {
        let Some(l) = self.fault_sub else {
            return Ok(());
        };
        self.a.bind(l);
        self.mov(R9, R1);
        self.scratch_cur = self.layout.clause_area;
        self.emit_fault_record();
        if !self.error_epids.is_empty() {
            // ERROR's arguments: arg1 = epid, arg2 = action, arg3 = offset,
            // arg4 = fault, arg5 = address.
            let ea = scratch::ERR_ARGS;
            self.emit(Insn::store_imm(BPF_DW, R9, ea as i16, 0));
            self.emit(Insn::load(BPF_DW, R1, R9, scratch::EPID as i16));
            self.emit(Insn::store_reg(BPF_DW, R9, (ea + 8) as i16, R1));
            self.emit(Insn::load(BPF_W, R1, R9, scratch::FAULT_ACTION as i16));
            self.emit(Insn::store_reg(BPF_DW, R9, (ea + 16) as i16, R1));
            self.emit(Insn::load(BPF_DW, R1, R9, scratch::FAULT_PC as i16));
            self.emit(Insn::store_reg(BPF_DW, R9, (ea + 24) as i16, R1));
            self.emit(Insn::load(BPF_W, R1, R9, scratch::FAULT_KIND as i16));
            self.emit(Insn::store_reg(BPF_DW, R9, (ea + 32) as i16, R1));
            self.emit(Insn::load(BPF_DW, R1, R9, scratch::FAULT_ADDR as i16));
            self.emit(Insn::store_reg(BPF_DW, R9, (ea + 40) as i16, R1));
            for i in 6..10u32 {
                self.emit(Insn::store_imm(BPF_DW, R9, (ea + 8 * i) as i16, 0));
            }
            let saved_args = self.args_off;
            self.args_off = ea;
            self.in_error_handler = true;
            for (ci, epid) in self.error_epids.clone() {
                let next = self.new_label();
                self.mov_imm(R1, epid as i64);
                self.emit(Insn::store_reg(BPF_DW, R9, scratch::EPID as i16, R1));
                self.clause_body(ci, R1, next)?;
                self.a.bind(next);
            }
            self.in_error_handler = false;
            self.args_off = saved_args;
        }
        self.emit(Insn::mov64_imm(R0, 0));
        self.emit(Insn::exit());
        Ok(())
    }
}
