//! Actions: records, aggregations, and the other things a clause does.
//!
//! A clause's record layout is computed before its code
//! ([`record_layout`]), from the types of what each recording action
//! records, so that every action writes at a fixed offset of the clause's
//! record buffer. Aggregations never write records: they update per-CPU map
//! entries in place, and the consumer reads the maps.

use super::scratch;
use super::{Gen, value_kind};
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
            ActionKind::Stack(_) | ActionKind::Ustack(_) | ActionKind::Tracemem(..) => Err(
                Diag::new("D_ACT_UNSUP", a.span, "this action is not supported yet"),
            ),
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
                    (ActionKind::Trunc(_, Some(e)), RecAction::Trunc(_, Some(it))) => {
                        self.record_value(e, &it, t)
                    }
                    (ActionKind::Normalize(_, e), RecAction::Normalize(_, it)) => {
                        self.record_value(e, &it, t)
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Sends the clause's record if any of its recording actions ran.
    pub(crate) fn emit_record(&mut self) {
        let Some(c) = self.clause.as_ref() else {
            return;
        };
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
}

/// SIGSTOP on Linux.
fn libc_sigstop() -> i32 {
    19
}
