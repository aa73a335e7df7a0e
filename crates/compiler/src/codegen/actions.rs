//! Actions: records, aggregations, and the other things a clause does.
//!
//! A clause's record layout is computed before its code
//! ([`record_layout`]), from the types of what each recording action
//! records, so that every action writes at a fixed offset of the clause's
//! record buffer. Aggregations never write records: they update per-CPU map
//! entries in place, and the consumer reads the maps.

use super::emit::frame;
use super::scratch;
use super::{Gen, QUANTIZE_ZERO, key_slot, value_kind};
use crate::bpf::insn::*;
use crate::object::*;
use crate::tir::*;
use crate::types::TypeTable;
use dtrace_syntax::diag::{Diag, Result};

/// The static record layout of a clause body.
pub(crate) fn record_layout(types: &TypeTable, body: &[TStmt], strsize: u32) -> RecordLayout {
    let mut l = RecordLayout {
        actions: Vec::new(),
        size: RECORD_HEADER,
    };
    walk(types, body, strsize, &mut l);
    l
}

fn item(types: &TypeTable, e: &TExpr, strsize: u32, l: &mut RecordLayout) -> DataItem {
    let kind = value_kind(types, e.ty);
    let offset = l.size;
    l.size += if kind == ValueKind::Str { strsize } else { 8 };
    DataItem {
        offset,
        kind,
        ty: e.ty,
    }
}

fn walk(types: &TypeTable, body: &[TStmt], strsize: u32, l: &mut RecordLayout) {
    for s in body {
        match s {
            TStmt::Expr(_) => {}
            TStmt::If {
                then, otherwise, ..
            } => {
                walk(types, then, strsize, l);
                walk(types, otherwise, strsize, l);
            }
            TStmt::Action(a) => {
                let ra = match &a.kind {
                    ActionKind::Default => Some(RecAction::Default),
                    ActionKind::Trace(e) => Some(RecAction::Trace(item(types, e, strsize, l))),
                    ActionKind::Printf { format, args } => Some(RecAction::Printf {
                        format: *format,
                        args: args.iter().map(|e| item(types, e, strsize, l)).collect(),
                    }),
                    ActionKind::System { format, args } => Some(RecAction::System {
                        format: *format,
                        args: args.iter().map(|e| item(types, e, strsize, l)).collect(),
                    }),
                    ActionKind::Freopen { format, args } => Some(RecAction::Freopen {
                        format: *format,
                        args: args.iter().map(|e| item(types, e, strsize, l)).collect(),
                    }),
                    ActionKind::Printa { format, aggs } => Some(RecAction::Printa {
                        format: *format,
                        aggs: aggs.clone(),
                    }),
                    ActionKind::Exit(e) => Some(RecAction::Exit(item(types, e, strsize, l))),
                    ActionKind::Clear(a) => Some(RecAction::Clear(*a)),
                    ActionKind::Denormalize(a) => Some(RecAction::Denormalize(*a)),
                    ActionKind::Trunc(a, n) => Some(RecAction::Trunc(
                        *a,
                        n.as_ref().map(|e| item(types, e, strsize, l)),
                    )),
                    ActionKind::Normalize(a, n) => {
                        Some(RecAction::Normalize(*a, item(types, n, strsize, l)))
                    }
                    ActionKind::Setopt(o, v) => Some(RecAction::Setopt(o.clone(), v.clone())),
                    ActionKind::Ftruncate => Some(RecAction::Ftruncate),
                    ActionKind::AggUpdate { .. }
                    | ActionKind::Raise(_)
                    | ActionKind::Stop
                    | ActionKind::Stack(_)
                    | ActionKind::Ustack(_)
                    | ActionKind::Tracemem(..) => None,
                };
                if let Some(ra) = ra {
                    l.actions.push(ra);
                }
            }
        }
    }
}

impl Gen<'_> {
    /// Marks the current recording action as present and returns its layout.
    fn begin_record_action(&mut self, span: dtrace_syntax::source::Span) -> Result<RecAction> {
        let (clause, idx, record, cond) = {
            let c = self.clause.as_mut().expect("actions run inside clauses");
            let idx = c.next_action;
            c.next_action += 1;
            (c.clause, idx, c.record, c.cond_depth > 0)
        };
        if idx >= 64 {
            return Err(Diag::new(
                "D_ACT_MANY",
                span,
                "too many data-recording actions in one clause (at most 64)",
            ));
        }
        if self.in_error_handler {
            // ERROR clauses use their own layouts; index through them too.
        }
        let ra = self.layout.records[clause].actions[idx].clone();
        let bit = 1u64 << idx;
        if cond {
            self.emit(Insn::load(BPF_DW, R1, R9, (record + 8) as i16));
            if bit <= i32::MAX as u64 {
                self.emit(Insn::alu64_imm(Alu::Or, R1, bit as i32));
            } else {
                self.a.emit2(Insn::ld_imm64(R2, bit));
                self.emit(Insn::alu64_reg(Alu::Or, R1, R2));
            }
            self.emit(Insn::store_reg(BPF_DW, R9, (record + 8) as i16, R1));
        } else if let Some(c) = self.clause.as_mut() {
            c.static_present |= bit;
        }
        Ok(ra)
    }

    /// Evaluates `e` into the record at `item`.
    fn record_value(&mut self, e: &TExpr, it: &DataItem, t: u8) -> Result<()> {
        let record = self.clause.as_ref().map_or(0, |c| c.record);
        let off = record + it.offset;
        if it.kind == ValueKind::Str {
            self.eval_str(e, t, Some(off))?;
        } else {
            self.eval(e, t)?;
            let r = self.fetch(t, R1)?;
            self.emit(Insn::store_reg(BPF_DW, R9, off as i16, r));
        }
        Ok(())
    }

    pub(crate) fn action(&mut self, a: &Action, t: u8) -> Result<()> {
        if let Some(c) = self.clause.as_mut() {
            c.action += 1;
        }
        match &a.kind {
            ActionKind::AggUpdate { agg, keys, args } => self.agg_update(*agg, keys, args, t),
            ActionKind::Raise(sig) => {
                self.eval(sig, t)?;
                let r = self.fetch(t, R1)?;
                self.mov(R1, r);
                self.call(helper::SEND_SIGNAL_THREAD);
                Ok(())
            }
            ActionKind::Stop => {
                self.emit(Insn::mov64_imm(R1, libc_sigstop()));
                self.call(helper::SEND_SIGNAL);
                Ok(())
            }
            ActionKind::Stack(_) | ActionKind::Ustack(_) | ActionKind::Tracemem(..) => Err(Diag::new(
                "D_ACT_UNSUP",
                a.span,
                "this action is not supported yet",
            )),
            _ => {
                let ra = self.begin_record_action(a.span)?;
                match (&a.kind, ra) {
                    (ActionKind::Trace(e), RecAction::Trace(it)) => self.record_value(e, &it, t),
                    (
                        ActionKind::Printf { args, .. }
                        | ActionKind::System { args, .. }
                        | ActionKind::Freopen { args, .. },
                        RecAction::Printf { args: items, .. }
                        | RecAction::System { args: items, .. }
                        | RecAction::Freopen { args: items, .. },
                    ) => {
                        for (e, it) in args.iter().zip(items.iter()) {
                            self.record_value(e, it, t)?;
                        }
                        Ok(())
                    }
                    (ActionKind::Exit(e), RecAction::Exit(it)) => {
                        self.record_value(e, &it, t)?;
                        // Stop the session at once: probes stop recording,
                        // and the consumer notices even if this record is
                        // dropped.
                        let r = self.fetch(t, R2)?;
                        self.globals_ptr(R1, globals::EXIT_STATUS);
                        self.emit(Insn::store_reg(BPF_W, R1, 0, r));
                        self.globals_ptr(R1, globals::STATE);
                        self.emit(Insn::store_imm(BPF_W, R1, 0, state::DRAINING as i32));
                        Ok(())
                    }
                    (ActionKind::Trunc(_, Some(e)), RecAction::Trunc(_, Some(it))) => self.record_value(e, &it, t),
                    (ActionKind::Normalize(_, e), RecAction::Normalize(_, it)) => self.record_value(e, &it, t),
                    _ => Ok(()),
                }
            }
        }
    }

    /// `@agg[keys] = func(args)`.
    fn agg_update(&mut self, agg: AggId, keys: &[TExpr], args: &[TExpr], t: u8) -> Result<()> {
        let info = self.checked.aggs[agg.0 as usize].clone();
        let map = self.layout.agg_map[&agg];
        let keyed = !info.keys.is_empty();
        let key = if keyed {
            Some(self.build_tuple(&info.keys, keys, t)?)
        } else {
            None
        };
        // Values first: their evaluation may call helpers, which would
        // clobber the value pointer.
        for (i, v) in args.iter().enumerate() {
            self.eval(v, t + i as u8)?;
        }
        let ptr_label = self.new_label();
        let done = self.new_label();
        let init = self.agg_init_blob(info.func);
        match key {
            Some(k) => {
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.call(helper::MAP_LOOKUP_ELEM);
                self.a.jmp_imm(Cond::Ne, R0, 0, ptr_label);
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.rodata_ptr(R3, init);
                self.emit(Insn::mov64_imm(R4, 1)); // BPF_NOEXIST
                self.call(helper::MAP_UPDATE_ELEM);
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.call(helper::MAP_LOOKUP_ELEM);
                self.a.jmp_imm(Cond::Ne, R0, 0, ptr_label);
                self.bump_counter(counter::AGG_DROPS);
                self.a.jmp(done);
            }
            None => {
                self.emit(Insn::store_imm(BPF_W, FP, frame::KEY, 0));
                self.map_ref(R1, map);
                self.mov(R2, FP);
                self.emit(Insn::alu64_imm(Alu::Add, R2, frame::KEY as i32));
                self.call(helper::MAP_LOOKUP_ELEM);
                self.a.jmp_imm(Cond::Eq, R0, 0, done);
                // First update of an unkeyed min/max: the array starts at
                // zero, so set the initial extreme from the init blob.
                if matches!(info.func, AggFunc::Min | AggFunc::Max) {
                    self.emit(Insn::load(BPF_DW, R1, R0, 0));
                    self.a.jmp_imm(Cond::Ne, R1, 0, ptr_label);
                    self.rodata_ptr(R1, init);
                    self.emit(Insn::load(BPF_DW, R1, R1, 8));
                    self.emit(Insn::store_reg(BPF_DW, R0, 8, R1));
                }
            }
        }
        self.a.bind(ptr_label);
        self.agg_apply(info.func, args.len(), t)?;
        self.a.bind(done);
        Ok(())
    }

    /// Initial value of an aggregation entry, in rodata.
    fn agg_init_blob(&mut self, f: AggFunc) -> u32 {
        let words = 1 + super::agg_data_words(f);
        let mut v = vec![0u8; 8 * words as usize];
        match f {
            AggFunc::Min => v[8..16].copy_from_slice(&i64::MAX.to_le_bytes()),
            AggFunc::Max => v[8..16].copy_from_slice(&i64::MIN.to_le_bytes()),
            _ => {}
        }
        self.rodata.add(&v)
    }

    /// Applies the update to the value at r0; values are in temps t, t+1.
    fn agg_apply(&mut self, f: AggFunc, nargs: usize, t: u8) -> Result<()> {
        // n++ (every layout starts with the update count).
        self.emit(Insn::load(BPF_DW, R1, R0, 0));
        self.emit(Insn::alu64_imm(Alu::Add, R1, 1));
        self.emit(Insn::store_reg(BPF_DW, R0, 0, R1));
        match f {
            AggFunc::Count => {}
            AggFunc::Sum | AggFunc::Avg => {
                let v = self.fetch(t, R2)?;
                self.emit(Insn::load(BPF_DW, R1, R0, 8));
                self.emit(Insn::alu64_reg(Alu::Add, R1, v));
                self.emit(Insn::store_reg(BPF_DW, R0, 8, R1));
            }
            AggFunc::Min | AggFunc::Max => {
                let v = self.fetch(t, R2)?;
                self.emit(Insn::load(BPF_DW, R1, R0, 8));
                let skip = self.new_label();
                let cond = if f == AggFunc::Min { Cond::Sge } else { Cond::Sle };
                self.a.jmp_reg(cond, v, R1, skip);
                self.emit(Insn::store_reg(BPF_DW, R0, 8, v));
                self.a.bind(skip);
            }
            AggFunc::Stddev => self.stddev_update(t)?,
            AggFunc::Quantize => {
                let v = self.fetch(t, R1)?;
                self.mov(R1, v);
                self.quantize_index(R1);
                self.bucket_add(R1, nargs > 1, t + 1)?;
            }
            AggFunc::Lquantize { base, step, levels } => {
                let v = self.fetch(t, R1)?;
                self.mov(R1, v);
                self.lquantize_index(R1, base, step, levels);
                self.bucket_add(R1, nargs > 1, t + 1)?;
            }
            AggFunc::Llquantize {
                factor,
                low,
                high,
                nsteps,
            } => {
                let v = self.fetch(t, R1)?;
                self.mov(R1, v);
                self.llquantize_index(R1, factor, low, high, nsteps);
                self.bucket_add(R1, nargs > 1, t + 1)?;
            }
        }
        Ok(())
    }

    /// `bucket[r1] += incr` for the value at r0 (buckets follow the count).
    fn bucket_add(&mut self, idx: Reg, has_incr: bool, incr_t: u8) -> Result<()> {
        self.emit(Insn::alu64_imm(Alu::Lsh, idx, 3));
        self.emit(Insn::alu64_reg(Alu::Add, idx, R0));
        self.emit(Insn::load(BPF_DW, R2, idx, 8));
        if has_incr {
            let inc = self.fetch(incr_t, R3)?;
            self.emit(Insn::alu64_reg(Alu::Add, R2, inc));
        } else {
            self.emit(Insn::alu64_imm(Alu::Add, R2, 1));
        }
        self.emit(Insn::store_reg(BPF_DW, idx, 8, R2));
        Ok(())
    }

    /// `r = floor(log2(x))` for x > 0 in `x` (clobbered), via r4/r5.
    fn log2(&mut self, x: Reg, r: Reg) {
        self.emit(Insn::mov64_imm(r, 0));
        for shift in [32, 16, 8, 4, 2, 1] {
            let skip = self.new_label();
            self.mov(R5, x);
            self.emit(Insn::alu64_imm(Alu::Rsh, R5, shift));
            self.a.jmp_imm(Cond::Eq, R5, 0, skip);
            self.mov(x, R5);
            self.emit(Insn::alu64_imm(Alu::Add, r, shift));
            self.a.bind(skip);
        }
    }

    /// DTrace's power-of-two bucket for the signed value in `v` (replaced by
    /// the index, 0..=126): zero is bucket 63, a positive value v is
    /// 64 + ⌊log2 v⌋, a negative one 62 − ⌊log2 −v⌋.
    fn quantize_index(&mut self, v: Reg) {
        let zero = QUANTIZE_ZERO as i32;
        let done = self.new_label();
        let neg = self.new_label();
        let not_zero = self.new_label();
        self.a.jmp_imm(Cond::Ne, v, 0, not_zero);
        self.emit(Insn::mov64_imm(v, zero));
        self.a.jmp(done);
        self.a.bind(not_zero);
        self.a.jmp_imm(Cond::Slt, v, 0, neg);
        self.log2(v, R4);
        self.emit(Insn::mov64_imm(v, zero + 1));
        self.emit(Insn::alu64_reg(Alu::Add, v, R4));
        self.a.jmp(done);
        self.a.bind(neg);
        self.emit(Insn::alu64_imm(Alu::Neg, v, 0));
        self.log2(v, R4);
        self.emit(Insn::mov64_imm(v, zero - 1));
        self.emit(Insn::alu64_reg(Alu::Sub, v, R4));
        self.a.bind(done);
        self.clamp_index(v, 2 * zero);
    }

    /// Bounds an index for the verifier (and for −2⁶³).
    fn clamp_index(&mut self, v: Reg, max: i32) {
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Sge, v, 0, ok);
        self.emit(Insn::mov64_imm(v, 0));
        self.a.bind(ok);
        let ok2 = self.new_label();
        self.a.jmp_imm(Cond::Le, v, max, ok2);
        self.emit(Insn::mov64_imm(v, max));
        self.a.bind(ok2);
    }

    /// Linear bucket: 0 below `base`, `levels + 1` at or above the limit,
    /// else `(v - base) / step + 1`.
    fn lquantize_index(&mut self, v: Reg, base: i64, step: i64, levels: u32) {
        let done = self.new_label();
        let under = self.new_label();
        let over = self.new_label();
        let limit = base + step * levels as i64;
        self.mov_imm(R2, base);
        self.a.jmp_reg(Cond::Slt, v, R2, under);
        self.mov_imm(R2, limit);
        self.a.jmp_reg(Cond::Sge, v, R2, over);
        self.mov_imm(R2, base);
        self.emit(Insn::alu64_reg(Alu::Sub, v, R2));
        self.mov_imm(R2, step);
        self.emit(Insn::alu64_reg(Alu::Div, v, R2));
        self.emit(Insn::alu64_imm(Alu::Add, v, 1));
        self.a.jmp(done);
        self.a.bind(under);
        self.emit(Insn::mov64_imm(v, 0));
        self.a.jmp(done);
        self.a.bind(over);
        self.emit(Insn::mov64_imm(v, levels as i32 + 1));
        self.a.bind(done);
        self.clamp_index(v, levels as i32 + 1);
    }

    /// Log-linear bucket: see `super::llquantize_buckets` for the layout.
    fn llquantize_index(&mut self, v: Reg, factor: u16, low: u16, high: u16, nsteps: u16) {
        // Walk the magnitudes from the top; each is a compile-time constant,
        // so this unrolls into (high - low + 1) comparisons.
        let done = self.new_label();
        let f = factor as i64;
        let pow = |e: u16| -> Option<i64> {
            let mut p: i64 = 1;
            for _ in 0..e {
                p = p.checked_mul(f)?;
            }
            Some(p)
        };
        let per_mag = nsteps as i64 - nsteps as i64 / f;
        let last = super::llquantize_buckets(factor, low, high, nsteps) as i32 - 1;
        // Below factor^low: bucket 0.
        if let Some(lowest) = pow(low) {
            self.mov_imm(R2, lowest);
            let above = self.new_label();
            self.a.jmp_reg(Cond::Sge, v, R2, above);
            self.emit(Insn::mov64_imm(v, 0));
            self.a.jmp(done);
            self.a.bind(above);
        }
        let mut bucket_base = 1i64;
        for mag in low..=high {
            let (Some(this), next) = (pow(mag), pow(mag + 1)) else {
                break;
            };
            let width = (next.unwrap_or(i64::MAX) - this) / per_mag.max(1);
            let width = if mag == low && low == 0 {
                // The first magnitude of factor^0 starts at 1.
                width.max(1)
            } else {
                width.max(1)
            };
            let skip = self.new_label();
            if let Some(n) = next {
                self.mov_imm(R2, n);
                self.a.jmp_reg(Cond::Sge, v, R2, skip);
            }
            // v in [this, next): bucket_base + (v - this) / width
            self.mov_imm(R2, this);
            self.emit(Insn::alu64_reg(Alu::Sub, v, R2));
            self.mov_imm(R2, width);
            self.emit(Insn::alu64_reg(Alu::Div, v, R2));
            self.emit(Insn::alu64_imm(Alu::Add, v, bucket_base as i32));
            self.a.jmp(done);
            self.a.bind(skip);
            bucket_base += per_mag;
        }
        self.emit(Insn::mov64_imm(v, last));
        self.a.bind(done);
        self.clamp_index(v, last);
    }

    /// `stddev`: count is kept in word 0; sum in word 1; the 128-bit sum of
    /// squares in words 2 (low) and 3 (high).
    fn stddev_update(&mut self, t: u8) -> Result<()> {
        let v = self.fetch(t, R1)?;
        self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE2, R0));
        self.mov(R1, v);
        // sum += v
        self.emit(Insn::load(BPF_DW, R2, R0, 8));
        self.emit(Insn::alu64_reg(Alu::Add, R2, R1));
        self.emit(Insn::store_reg(BPF_DW, R0, 8, R2));
        // r1 = |v|
        let pos = self.new_label();
        self.a.jmp_imm(Cond::Sge, R1, 0, pos);
        self.emit(Insn::alu64_imm(Alu::Neg, R1, 0));
        self.a.bind(pos);
        // r2 = lo, r3 = hi halves of |v|.
        self.mov(R2, R1);
        self.zero_extend(R2, 4);
        self.mov(R3, R1);
        self.emit(Insn::alu64_imm(Alu::Rsh, R3, 32));
        // r4 = mid = hi * lo; r5 = lo * lo; r3 = hi * hi
        self.mov(R4, R3);
        self.emit(Insn::alu64_reg(Alu::Mul, R4, R2));
        self.mov(R5, R2);
        self.emit(Insn::alu64_reg(Alu::Mul, R5, R2));
        self.emit(Insn::alu64_reg(Alu::Mul, R3, R3));
        // low = lo*lo + (mid << 33); carry into high.
        self.mov(R1, R4);
        self.emit(Insn::alu64_imm(Alu::Lsh, R1, 33));
        self.emit(Insn::alu64_reg(Alu::Add, R1, R5));
        let nc = self.new_label();
        self.a.jmp_reg(Cond::Ge, R1, R5, nc);
        self.emit(Insn::alu64_imm(Alu::Add, R3, 1));
        self.a.bind(nc);
        // high = hi*hi + (mid >> 31) + carry
        self.emit(Insn::alu64_imm(Alu::Rsh, R4, 31));
        self.emit(Insn::alu64_reg(Alu::Add, R3, R4));
        // Accumulate into the stored 128-bit value.
        self.emit(Insn::load(BPF_DW, R0, FP, frame::SAVE2));
        self.emit(Insn::load(BPF_DW, R2, R0, 16));
        self.emit(Insn::alu64_reg(Alu::Add, R1, R2));
        let nc2 = self.new_label();
        self.a.jmp_reg(Cond::Ge, R1, R2, nc2);
        self.emit(Insn::alu64_imm(Alu::Add, R3, 1));
        self.a.bind(nc2);
        self.emit(Insn::store_reg(BPF_DW, R0, 16, R1));
        self.emit(Insn::load(BPF_DW, R2, R0, 24));
        self.emit(Insn::alu64_reg(Alu::Add, R2, R3));
        self.emit(Insn::store_reg(BPF_DW, R0, 24, R2));
        Ok(())
    }

    /// Sends the clause's record if any of its recording actions ran.
    pub(crate) fn emit_record(&mut self) {
        let Some(c) = self.clause.as_ref() else { return };
        let layout = &self.layout.records[c.clause];
        if layout.actions.is_empty() {
            return;
        }
        let (record, static_present, size) = (c.record, c.static_present, layout.size);
        let skip = self.new_label();
        self.emit(Insn::load(BPF_DW, R1, R9, (record + 8) as i16));
        if static_present != 0 {
            if static_present <= i32::MAX as u64 {
                self.emit(Insn::alu64_imm(Alu::Or, R1, static_present as i32));
            } else {
                self.a.emit2(Insn::ld_imm64(R2, static_present));
                self.emit(Insn::alu64_reg(Alu::Or, R1, R2));
            }
            self.emit(Insn::store_reg(BPF_DW, R9, (record + 8) as i16, R1));
        } else {
            self.a.jmp_imm(Cond::Eq, R1, 0, skip);
        }
        self.ringbuf_send(record, size);
        self.a.bind(skip);
    }

    /// `ringbuf_output(records, scratch + off, size)`, waking the consumer
    /// only when it asked to be woken; a full buffer counts a drop.
    pub(crate) fn ringbuf_send(&mut self, off: u32, size: u32) {
        self.emit(Insn::mov64_imm(R4, 1)); // BPF_RB_NO_WAKEUP
        self.globals_ptr(R1, globals::CONSUMER_SLEEPING);
        self.emit(Insn::load(BPF_W, R2, R1, 0));
        let nowake = self.new_label();
        self.a.jmp_imm(Cond::Eq, R2, 0, nowake);
        self.emit(Insn::store_imm(BPF_W, R1, 0, 0));
        self.emit(Insn::mov64_imm(R4, 2)); // BPF_RB_FORCE_WAKEUP
        self.a.bind(nowake);
        self.map_ref(R1, self.layout.records_map);
        self.scratch_ptr(R2, off);
        self.emit(Insn::mov64_imm(R3, size as i32));
        self.call(helper::RINGBUF_OUTPUT);
        let ok = self.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, ok);
        self.bump_counter(counter::DROPS);
        self.a.bind(ok);
    }

    /// Writes the fault report for the fault described in scratch.
    pub(crate) fn emit_fault_record(&mut self) {
        let buf = self.alloc_scratch(48);
        self.emit(Insn::store_imm(BPF_W, R9, buf as i16, 0));
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::CPU as i16));
        self.emit(Insn::store_reg(BPF_W, R9, (buf + 4) as i16, R1));
        self.emit(Insn::store_imm(BPF_DW, R9, (buf + 8) as i16, 0));
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::EPID as i16));
        self.emit(Insn::store_reg(BPF_W, R9, (buf + 16) as i16, R1));
        self.emit(Insn::load(BPF_W, R1, R9, scratch::FAULT_ACTION as i16));
        self.emit(Insn::store_reg(BPF_W, R9, (buf + 20) as i16, R1));
        self.emit(Insn::load(BPF_W, R1, R9, scratch::FAULT_KIND as i16));
        self.emit(Insn::store_reg(BPF_DW, R9, (buf + 24) as i16, R1));
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::FAULT_PC as i16));
        self.emit(Insn::store_reg(BPF_DW, R9, (buf + 32) as i16, R1));
        self.emit(Insn::load(BPF_DW, R1, R9, scratch::FAULT_ADDR as i16));
        self.emit(Insn::store_reg(BPF_DW, R9, (buf + 40) as i16, R1));
        self.ringbuf_send(buf, 48);
    }

    /// Key slots of an aggregation, for the consumer.
    #[allow(dead_code)]
    pub(crate) fn agg_key_size(&self, agg: AggId) -> u32 {
        self.checked.aggs[agg.0 as usize]
            .keys
            .iter()
            .map(|&k| key_slot(&self.checked.types, k, self.strsize))
            .sum()
    }
}

/// SIGSTOP on Linux.
fn libc_sigstop() -> i32 {
    19
}
