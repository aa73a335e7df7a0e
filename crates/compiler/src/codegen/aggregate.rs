//! Aggregations in probe context: `@name[keys] = func(args)`.
//!
//! Each aggregation is a per-CPU BPF map: a hash keyed by the key tuple,
//! or a one-element array for the scalar form `@name = func()`. A probe
//! only ever touches its own CPU's copy, with plain loads and stores; the
//! consumer merges the copies when it reads the map.
//!
//! # Value layout
//!
//! A value is `[n, data...]` in 64-bit words: `n` counts the updates this
//! CPU made (so an untouched copy, all zero as the kernel creates it, is
//! told apart from a real zero), and `data` is what the function keeps,
//! where `n` already serves as the count of `count()`, `avg()` and
//! `stddev()`:
//!
//! | function | data after `n` |
//! |---|---|
//! | `count()` | nothing |
//! | `sum(v)` | `sum` |
//! | `min(v)`, `max(v)` | the extreme (valid only when `n > 0`) |
//! | `avg(v)` | `sum` |
//! | `stddev(v)` | `sum, sumsq_lo, sumsq_hi` |
//! | `quantize`, `lquantize`, `llquantize` | one counter per bucket |
//!
//! The consumer turns this into the output crate's layouts
//! (`dtrace_output::aggfunc`), whose bucket rules the index computations
//! below reproduce exactly; [`output_func`] is the one place the two
//! descriptions of a function meet.
//!
//! # Updating
//!
//! A keyed update looks the key up and, when it is missing, inserts a
//! zero value (`BPF_NOEXIST`, so a racing insert on another CPU wins
//! harmlessly) and looks it up again. When the map is full the insert
//! fails, the second lookup finds nothing, and the update is counted as an
//! aggregation drop instead.

use super::Gen;
use super::emit::frame;
use crate::bpf::asm::Label;
use crate::bpf::insn::*;
use crate::object::counter;
use crate::tir::*;
use dtrace_output::{Llquantize, Lquantize};
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

/// The function as the output crate describes it, or `None` when its
/// parameters have no such description (the compiler rejects those).
pub fn output_func(f: AggFunc) -> Option<dtrace_output::AggFunc> {
    use dtrace_output::AggFunc as O;
    Some(match f {
        AggFunc::Count => O::Count,
        AggFunc::Sum => O::Sum,
        AggFunc::Avg => O::Avg,
        AggFunc::Min => O::Min,
        AggFunc::Max => O::Max,
        AggFunc::Stddev => O::Stddev,
        AggFunc::Quantize => O::Quantize,
        AggFunc::Lquantize { base, step, levels } => {
            let base = i32::try_from(base).ok()?;
            let step = u16::try_from(step).ok()?;
            let limit = i64::from(base) + i64::from(step) * i64::from(levels);
            let l = Lquantize::new(base, i32::try_from(limit).ok()?, step)?;
            if u32::from(l.levels) != levels {
                return None;
            }
            O::Lquantize(l)
        }
        AggFunc::Llquantize {
            factor,
            low,
            high,
            nsteps,
        } => O::Llquantize(Llquantize::new(factor, low, high, nsteps)?),
    })
}

/// Checks that an aggregation's function can be generated, with DTrace's
/// message for parameters it would have refused.
pub(crate) fn check_func(f: AggFunc, span: Span) -> Result<()> {
    if output_func(f).is_some() {
        return Ok(());
    }
    let (tag, msg) = match f {
        AggFunc::Lquantize { base, .. } if i32::try_from(base).is_err() => (
            "D_LQUANT_BASEVAL",
            "lquantize( ) argument #1 must be a 32-bit quantity",
        ),
        AggFunc::Lquantize { step, .. } if u16::try_from(step).is_err() => (
            "D_LQUANT_STEPVAL",
            "lquantize( ) argument #3 must be a 16-bit quantity",
        ),
        AggFunc::Lquantize { .. } => (
            "D_LQUANT_LIMVAL",
            "lquantize( ) argument #2 must be a 32-bit quantity",
        ),
        AggFunc::Llquantize { low, high, .. } if high <= low => (
            "D_LLQUANT_MAGRANGE",
            "llquantize( ) high magnitude (argument #3) must be greater than low magnitude (argument #2)",
        ),
        _ => (
            "D_LLQUANT_FACTOREVEN",
            "llquantize( ) factor (argument #1) must evenly divide the number of steps per magnitude (argument #4), and the number of steps per magnitude must evenly divide a power of the factor",
        ),
    };
    Err(Diag::new(tag, span, msg))
}

/// Bytes of an aggregation's per-key value: the update count `n`, then
/// the function's data.
pub fn agg_value_size(f: AggFunc) -> u32 {
    8 * (1 + agg_data_words(f))
}

/// 64-bit words of aggregated data after the update count.
pub fn agg_data_words(f: AggFunc) -> u32 {
    match f {
        AggFunc::Count => 0,
        AggFunc::Sum | AggFunc::Min | AggFunc::Max | AggFunc::Avg => 1,
        AggFunc::Stddev => 3,
        AggFunc::Quantize | AggFunc::Lquantize { .. } | AggFunc::Llquantize { .. } => {
            output_func(f).map_or(0, |o| o.words() as u32)
        }
    }
}

/// One magnitude of an `llquantize()` histogram as the generated code
/// tests it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LlqStep {
    /// Values below `this` land in `base + (v - last) / width`, or in
    /// `base` when the magnitude has no usable width.
    Below {
        this: i64,
        last: i64,
        base: i64,
        width: Option<i64>,
    },
    /// The next magnitude overflows 64 bits: every value still unplaced
    /// lands in this bucket.
    Rest(i64),
}

/// The output crate's `llquantize()` bucket rule with the parameters folded
/// into constants: the generated code is a straight walk over `steps`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LlqPlan {
    /// Values below `factor^low` land in bucket 0.
    lowest: i64,
    steps: Vec<LlqStep>,
    /// The bucket of values beyond every step, unless a `Rest` ends them.
    beyond: Option<i64>,
}

impl LlqPlan {
    fn new(l: &Llquantize) -> LlqPlan {
        let factor = i64::from(l.factor);
        let nsteps = i64::from(l.nsteps);
        let mut this: i64 = 1;
        for _ in 0..l.low {
            this = this.wrapping_mul(factor);
        }
        let lowest = this;
        let mut last = this;
        this = this.wrapping_mul(factor);
        let mut base: i64 = 1;
        let mut steps = Vec::new();
        for _ in l.low..=l.high {
            let nbuckets = if this > nsteps { nsteps } else { this };
            let next = this.wrapping_mul(factor);
            let width = (nbuckets > 0 && this.wrapping_div(nbuckets) != 0)
                .then(|| this.wrapping_div(nbuckets));
            if next < this {
                let bucket = match width {
                    Some(w) => {
                        base.wrapping_add(this.wrapping_sub(1).wrapping_sub(last).wrapping_div(w))
                    }
                    None => base,
                };
                steps.push(LlqStep::Rest(bucket));
                return LlqPlan {
                    lowest,
                    steps,
                    beyond: None,
                };
            }
            steps.push(LlqStep::Below {
                this,
                last,
                base,
                width,
            });
            base = base.wrapping_add(nbuckets - nbuckets / factor);
            last = this;
            this = next;
        }
        LlqPlan {
            lowest,
            steps,
            beyond: Some(base),
        }
    }

    /// The bucket the plan gives `v` (what the generated code computes).
    #[cfg(test)]
    fn bucket(&self, v: i64) -> i64 {
        if v < self.lowest {
            return 0;
        }
        for step in &self.steps {
            match *step {
                LlqStep::Rest(b) => return b,
                LlqStep::Below {
                    this,
                    last,
                    base,
                    width,
                } => {
                    if v < this {
                        return match width {
                            Some(w) => base.wrapping_add(v.wrapping_sub(last).wrapping_div(w)),
                            None => base,
                        };
                    }
                }
            }
        }
        self.beyond.unwrap_or(0)
    }
}

impl Gen<'_> {
    /// `@agg[keys] = func(args)`.
    pub(crate) fn agg_update(
        &mut self,
        agg: AggId,
        keys: &[TExpr],
        args: &[TExpr],
        t: u8,
    ) -> Result<()> {
        let info = self.checked.aggs[agg.0 as usize].clone();
        let map = self.layout.agg_map[&agg];
        let key = if info.keys.is_empty() {
            None
        } else {
            Some(self.build_tuple(&info.keys, keys, t)?)
        };
        // Values first: their evaluation may call helpers, which would
        // clobber the value pointer.
        for (i, v) in args.iter().enumerate() {
            self.eval(v, t + i as u8)?;
        }
        let have = self.new_label();
        let done = self.new_label();
        match key {
            Some(k) => {
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.call(helper::MAP_LOOKUP_ELEM);
                self.a.jmp_imm(Cond::Ne, R0, 0, have);
                let zeros = self.rodata.zeros(super::agg_value_size(info.func));
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.rodata_ptr(R3, zeros);
                self.emit(Insn::mov64_imm(R4, 1)); // BPF_NOEXIST
                self.call(helper::MAP_UPDATE_ELEM);
                self.map_ref(R1, map);
                self.key_ptr(R2, k);
                self.call(helper::MAP_LOOKUP_ELEM);
                self.a.jmp_imm(Cond::Ne, R0, 0, have);
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
            }
        }
        self.a.bind(have);
        self.agg_apply(info.func, args.len() > 1, t, done)?;
        self.a.bind(done);
        Ok(())
    }

    /// `n += 1` for the value at r0.
    fn count_update(&mut self) {
        self.emit(Insn::load(BPF_DW, R1, R0, 0));
        self.emit(Insn::alu64_imm(Alu::Add, R1, 1));
        self.emit(Insn::store_reg(BPF_DW, R0, 0, R1));
    }

    /// Applies the update to the value at r0: the value is in temp `t`, the
    /// increment of the quantizing functions (if given) in `t + 1`.
    fn agg_apply(&mut self, f: AggFunc, has_incr: bool, t: u8, done: Label) -> Result<()> {
        match f {
            AggFunc::Count => self.count_update(),
            AggFunc::Sum | AggFunc::Avg => {
                self.count_update();
                let v = self.fetch(t, R2)?;
                self.emit(Insn::load(BPF_DW, R1, R0, 8));
                self.emit(Insn::alu64_reg(Alu::Add, R1, v));
                self.emit(Insn::store_reg(BPF_DW, R0, 8, R1));
            }
            AggFunc::Min | AggFunc::Max => {
                // The first update on this CPU sets the extreme.
                let v = self.fetch(t, R2)?;
                let set = self.new_label();
                let keep = self.new_label();
                self.emit(Insn::load(BPF_DW, R1, R0, 0));
                self.a.jmp_imm(Cond::Eq, R1, 0, set);
                self.emit(Insn::load(BPF_DW, R3, R0, 8));
                let not_better = if f == AggFunc::Min {
                    Cond::Sge
                } else {
                    Cond::Sle
                };
                self.a.jmp_reg(not_better, v, R3, keep);
                self.a.bind(set);
                self.emit(Insn::store_reg(BPF_DW, R0, 8, v));
                self.a.bind(keep);
                self.emit(Insn::alu64_imm(Alu::Add, R1, 1));
                self.emit(Insn::store_reg(BPF_DW, R0, 0, R1));
            }
            AggFunc::Stddev => {
                self.count_update();
                self.stddev_update(t)?;
            }
            AggFunc::Quantize | AggFunc::Lquantize { .. } | AggFunc::Llquantize { .. } => {
                let Some(out) = output_func(f) else {
                    return Err(Diag::without_span(
                        "D_AGG_FUNC",
                        "invalid histogram parameters",
                    ));
                };
                self.count_update();
                let v = self.fetch(t, R1)?;
                self.mov(R1, v);
                match out {
                    dtrace_output::AggFunc::Lquantize(l) => self.lquantize_index(R1, &l),
                    dtrace_output::AggFunc::Llquantize(l) => {
                        self.llquantize_index(R1, &LlqPlan::new(&l))
                    }
                    _ => self.quantize_index(R1),
                }
                self.bucket_add(R1, out.words() as u32 - 1, has_incr, t + 1, done)?;
            }
        }
        Ok(())
    }

    /// `bucket[idx] += incr` (or 1) for the value at r0, whose buckets
    /// follow the update count. An index beyond `max` updates nothing (the
    /// check also bounds the access for the verifier).
    fn bucket_add(
        &mut self,
        idx: Reg,
        max: u32,
        has_incr: bool,
        incr_t: u8,
        skip: Label,
    ) -> Result<()> {
        self.a.jmp_imm(Cond::Gt, idx, max as i32, skip);
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

    /// `r = floor(log2(x))` for an unsigned x > 0 in `x` (clobbered); uses r5.
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

    /// `quantize()`: replaces the signed value in `v` by its bucket. Zero
    /// is bucket 63, a positive value `64 + ⌊log2 v⌋`, a negative one
    /// `62 − ⌊log2 |v|⌋` (at least 0), with `|v|` unsigned so that
    /// −2⁶³ works.
    fn quantize_index(&mut self, v: Reg) {
        let zero = super::QUANTIZE_ZERO as i32;
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
        // 62 - log2 is negative only for log2 == 63 (|v| = 2^63).
        self.emit(Insn::mov64_imm(v, zero - 1));
        self.emit(Insn::alu64_reg(Alu::Sub, v, R4));
        self.a.jmp_imm(Cond::Sge, v, 0, done);
        self.emit(Insn::mov64_imm(v, 0));
        self.a.bind(done);
    }

    /// `lquantize()`: the value is first truncated to 32 bits; below
    /// `base` is bucket 0; otherwise `level = (x - base) / step` and the
    /// bucket is `level + 1`, or `levels + 1` from the limit on.
    fn lquantize_index(&mut self, v: Reg, l: &Lquantize) {
        let done = self.new_label();
        let under = self.new_label();
        let in_range = self.new_label();
        self.sign_extend(v, 4);
        self.a.jmp_imm(Cond::Slt, v, l.base, under);
        // x - base is in [0, 2^32): unsigned division is exact.
        self.emit(Insn::alu64_imm(Alu::Sub, v, l.base));
        if l.step > 1 {
            self.emit(Insn::alu64_imm(Alu::Div, v, i32::from(l.step)));
        }
        self.a.jmp_imm(Cond::Lt, v, i32::from(l.levels), in_range);
        self.emit(Insn::mov64_imm(v, i32::from(l.levels)));
        self.a.bind(in_range);
        self.emit(Insn::alu64_imm(Alu::Add, v, 1));
        self.a.jmp(done);
        self.a.bind(under);
        self.emit(Insn::mov64_imm(v, 0));
        self.a.bind(done);
    }

    /// `llquantize()`: walks the magnitudes of `plan` (compile-time
    /// constants, so this unrolls into one comparison per magnitude).
    fn llquantize_index(&mut self, v: Reg, plan: &LlqPlan) {
        let done = self.new_label();
        let above = self.new_label();
        self.mov_imm(R2, plan.lowest);
        self.a.jmp_reg(Cond::Sge, v, R2, above);
        self.emit(Insn::mov64_imm(v, 0));
        self.a.jmp(done);
        self.a.bind(above);
        for step in &plan.steps {
            match *step {
                LlqStep::Rest(bucket) => {
                    self.mov_imm(v, bucket);
                    self.a.jmp(done);
                }
                LlqStep::Below {
                    this,
                    last,
                    base,
                    width,
                } => {
                    let next = self.new_label();
                    self.mov_imm(R2, this);
                    self.a.jmp_reg(Cond::Sge, v, R2, next);
                    match width {
                        None => self.mov_imm(v, base),
                        Some(w) => {
                            self.mov_imm(R2, last);
                            self.emit(Insn::alu64_reg(Alu::Sub, v, R2));
                            // v >= last always; with last >= 0 the
                            // difference cannot wrap and is non-negative.
                            self.div_const(v, w, last < 0);
                            self.mov_imm(R2, base);
                            self.emit(Insn::alu64_reg(Alu::Add, v, R2));
                        }
                    }
                    self.a.jmp(done);
                    self.a.bind(next);
                }
            }
        }
        if let Some(bucket) = plan.beyond {
            self.mov_imm(v, bucket);
        }
        self.a.bind(done);
    }

    /// `v /= w` for a constant `w > 0`, truncating toward zero; `signed`
    /// when `v` may be negative (BPF division is unsigned). Uses r2.
    fn div_const(&mut self, v: Reg, w: i64, signed: bool) {
        if w == 1 {
            return;
        }
        let divide = |g: &mut Self| {
            if w <= i64::from(i32::MAX) {
                g.emit(Insn::alu64_imm(Alu::Div, v, w as i32));
            } else {
                g.mov_imm(R2, w);
                g.emit(Insn::alu64_reg(Alu::Div, v, R2));
            }
        };
        if !signed {
            divide(self);
            return;
        }
        let neg = self.new_label();
        let done = self.new_label();
        self.a.jmp_imm(Cond::Slt, v, 0, neg);
        divide(self);
        self.a.jmp(done);
        self.a.bind(neg);
        self.emit(Insn::alu64_imm(Alu::Neg, v, 0));
        divide(self);
        self.emit(Insn::alu64_imm(Alu::Neg, v, 0));
        self.a.bind(done);
    }

    /// `stddev()` after `n += 1`: `sum += v` in word 1 and the 128-bit sum
    /// of squares `+= |v|²` in words 2 (low) and 3 (high).
    fn stddev_update(&mut self, t: u8) -> Result<()> {
        let v = self.fetch(t, R1)?;
        self.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE2, R0));
        self.mov(R1, v);
        // sum += v
        self.emit(Insn::load(BPF_DW, R2, R0, 8));
        self.emit(Insn::alu64_reg(Alu::Add, R2, R1));
        self.emit(Insn::store_reg(BPF_DW, R0, 8, R2));
        // r1 = |v| (unsigned, so -2^63 is 2^63)
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
        // |v|² = hi²·2⁶⁴ + mid·2³³ + lo²: low = lo² + (mid << 33), with
        // carry into high = hi² + (mid >> 31).
        self.mov(R1, R4);
        self.emit(Insn::alu64_imm(Alu::Lsh, R1, 33));
        self.emit(Insn::alu64_reg(Alu::Add, R1, R5));
        let nc = self.new_label();
        self.a.jmp_reg(Cond::Ge, R1, R5, nc);
        self.emit(Insn::alu64_imm(Alu::Add, R3, 1));
        self.a.bind(nc);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llq(factor: u16, low: u16, high: u16, nsteps: u16) -> Llquantize {
        Llquantize::new(factor, low, high, nsteps).expect("valid parameters")
    }

    /// Values around every power of the factor and every step boundary.
    fn probes(l: &Llquantize) -> Vec<i64> {
        let mut vals = vec![i64::MIN, -1, 0, 1, 2, i64::MAX, i64::MAX - 1];
        let mut p: i64 = 1;
        for _ in 0..64 {
            for d in -3..=3 {
                vals.push(p.wrapping_add(d));
            }
            let step = (p / i64::from(l.nsteps)).max(1);
            for k in 0..i64::from(l.nsteps) * 2 {
                let x = p.wrapping_add(k.wrapping_mul(step));
                vals.extend([x.wrapping_sub(1), x, x.wrapping_add(1)]);
            }
            match p.checked_mul(i64::from(l.factor)) {
                Some(n) => p = n,
                None => break,
            }
        }
        vals
    }

    #[test]
    fn llquantize_plan_matches_the_output_crate() {
        let params = [
            (10, 0, 2, 20),
            (10, 0, 6, 10),
            (10, 1, 3, 100),
            (2, 0, 62, 2),
            (2, 0, 63, 4),
            (2, 3, 10, 8),
            (10, 0, 18, 10),
            (10, 15, 18, 10),
            (4, 0, 31, 16),
            (3, 0, 39, 9),
            (16, 0, 15, 256),
            (1000, 0, 6, 1000),
        ];
        for (factor, low, high, nsteps) in params {
            let l = llq(factor, low, high, nsteps);
            let plan = LlqPlan::new(&l);
            for v in probes(&l) {
                assert_eq!(
                    plan.bucket(v),
                    l.bucket(v) as i64,
                    "llquantize({v}, {factor}, {low}, {high}, {nsteps})"
                );
            }
            assert_eq!(plan.bucket(i64::MAX) + 1, l.buckets() as i64);
        }
    }

    #[test]
    fn zero_blocks_are_shared() {
        let mut rodata = super::super::Rodata::default();
        let small = rodata.zeros(16);
        assert_eq!(rodata.zeros(8), small);
        let big = rodata.zeros(1024);
        assert_eq!(rodata.zeros(1000), big);
        let bytes = rodata.bytes.get(big as usize..big as usize + 1024);
        assert!(bytes.is_some_and(|b| b.iter().all(|&x| x == 0)));
    }

    #[test]
    fn value_sizes_follow_the_output_layouts() {
        assert_eq!(agg_value_size(AggFunc::Count), 8);
        assert_eq!(agg_value_size(AggFunc::Sum), 16);
        assert_eq!(agg_value_size(AggFunc::Stddev), 32);
        assert_eq!(agg_data_words(AggFunc::Quantize), 127);
        let lq = AggFunc::Lquantize {
            base: -10,
            step: 5,
            levels: 4,
        };
        assert_eq!(agg_data_words(lq), 6);
        let llq = AggFunc::Llquantize {
            factor: 10,
            low: 0,
            high: 2,
            nsteps: 20,
        };
        assert_eq!(agg_data_words(llq), 47);
    }

    #[test]
    fn histogram_parameters_map_to_the_output_crate() {
        let lq = AggFunc::Lquantize {
            base: 0,
            step: 3,
            levels: 3,
        };
        match output_func(lq) {
            Some(dtrace_output::AggFunc::Lquantize(l)) => {
                assert_eq!((l.base, l.step, l.levels), (0, 3, 3));
            }
            other => panic!("unexpected {other:?}"),
        }
        let too_wide = AggFunc::Lquantize {
            base: i64::from(i32::MAX) + 1,
            step: 1,
            levels: 1,
        };
        assert!(output_func(too_wide).is_none());
        assert!(check_func(too_wide, Span::default()).is_err());
        let equal_magnitudes = AggFunc::Llquantize {
            factor: 10,
            low: 2,
            high: 2,
            nsteps: 10,
        };
        assert!(output_func(equal_magnitudes).is_none());
    }
}
