//! The generator's core: temporaries, stack slots, faults and helper calls.

use super::{GenOptions, Layout, Rodata};
use crate::bpf::asm::{Asm, Label};
use crate::bpf::insn::*;
use crate::object::Fault;
use crate::probes::{ProbeGroup, ProbeInfo};
use crate::sema::Checked;
use dtrace_syntax::diag::{Diag, Result};

/// Stack slots (offsets from the frame pointer).
pub(crate) mod frame {
    /// The program's context pointer.
    pub const CTX: i16 = -8;
    /// A u32 map key (CPU number, zero).
    pub const KEY: i16 = -16;
    /// Destination of 8-byte probe reads.
    pub const READ: i16 = -24;
    /// Saved value across a helper call.
    pub const SAVE: i16 = -32;
    pub const SAVE2: i16 = -40;
    /// First spilled expression temporary; more grow downwards.
    pub const TEMPS: i16 = -48;
    /// Temporaries that fit in the frame after the fixed slots.
    pub const MAX_STACK_TEMPS: u8 = 40;
}

/// Where clause-level control goes.
pub(crate) struct ClauseCtx {
    /// Jumped to on a fault (after the fault details are stored).
    pub fault: Label,
    /// 1-based index of the action being generated (0 = predicate).
    pub action: u32,
    /// Scratch offset of the clause's record buffer.
    pub record: u32,
    /// Index of the clause's layout in `Layout::records`.
    pub clause: usize,
    /// Present bits of unconditional actions, set once at the end.
    pub static_present: u64,
    /// Nesting of `if` statements around the current statement.
    pub cond_depth: u32,
    /// Next recording action's index in the layout.
    pub next_action: usize,
}

pub struct Gen<'a> {
    pub(crate) a: Asm,
    pub(crate) checked: &'a Checked,
    pub(crate) layout: &'a Layout,
    pub(crate) rodata: &'a mut Rodata,
    pub(crate) group: &'a ProbeGroup,
    pub(crate) probes: &'a [Option<ProbeInfo>],
    pub(crate) btf: &'a crate::btf::LazyBtf,
    #[allow(dead_code)]
    pub(crate) opts: &'a GenOptions,
    pub(crate) strsize: u32,
    /// Scratch offset where `arg0..arg9` are read from (ERROR clauses see
    /// their own arguments).
    pub(crate) args_off: u32,
    /// Bump allocator for clause temporaries in scratch.
    pub(crate) scratch_cur: u32,
    pub(crate) scratch_high: u32,
    /// Deepest stack temporary used.
    pub(crate) clause: Option<ClauseCtx>,
    pub(crate) strcmp_sub: Option<Label>,
    pub(crate) fault_sub: Option<Label>,
    /// `(clause index, epid)` of the ERROR clauses.
    pub(crate) error_epids: Vec<(usize, u32)>,
    /// True while generating ERROR clauses inside the fault handler.
    pub(crate) in_error_handler: bool,
}

impl<'a> Gen<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        checked: &'a Checked,
        layout: &'a Layout,
        rodata: &'a mut Rodata,
        group: &'a ProbeGroup,
        probes: &'a [Option<ProbeInfo>],
        btf: &'a crate::btf::LazyBtf,
        opts: &'a GenOptions,
        strsize: u32,
    ) -> Self {
        Gen {
            a: Asm::new(),
            checked,
            layout,
            rodata,
            group,
            probes,
            btf,
            opts,
            strsize,
            args_off: super::scratch::ARGS,
            scratch_cur: layout.clause_area,
            scratch_high: layout.clause_area,
            clause: None,
            strcmp_sub: None,
            fault_sub: None,
            error_epids: Vec::new(),
            in_error_handler: false,
        }
    }

    pub(crate) fn scratch_high_water(&self) -> u32 {
        self.scratch_high
    }

    // -- emission shorthands --------------------------------------------------

    pub(crate) fn emit(&mut self, i: Insn) {
        self.a.emit(i);
    }

    pub(crate) fn mov_imm(&mut self, r: Reg, v: i64) {
        if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
            self.a.emit(Insn::mov64_imm(r, v as i32));
        } else {
            self.a.emit2(Insn::ld_imm64(r, v as u64));
        }
    }

    pub(crate) fn mov(&mut self, dst: Reg, src: Reg) {
        if dst != src {
            self.a.emit(Insn::mov64_reg(dst, src));
        }
    }

    pub(crate) fn call(&mut self, helper: i32) {
        self.a.emit(Insn::call_helper(helper));
    }

    /// `dst = &globals + off`.
    pub(crate) fn globals_ptr(&mut self, dst: Reg, off: u32) {
        self.a
            .emit2(Insn::ld_map_value(dst, self.layout.globals_map, off));
    }

    /// `dst = &rodata + off`.
    pub(crate) fn rodata_ptr(&mut self, dst: Reg, off: u32) {
        self.a
            .emit2(Insn::ld_map_value(dst, self.layout.rodata_map, off));
    }

    /// `dst = r9 + off` (a pointer into scratch).
    pub(crate) fn scratch_ptr(&mut self, dst: Reg, off: u32) {
        self.mov(dst, R9);
        if off != 0 {
            self.a.emit(Insn::alu64_imm(Alu::Add, dst, off as i32));
        }
    }

    pub(crate) fn map_ref(&mut self, dst: Reg, map: u32) {
        self.a.emit2(Insn::ld_map(dst, map));
    }

    // -- temporaries -----------------------------------------------------------

    /// Temporaries by depth: r6, r7, r8, then stack slots.
    pub(crate) fn temp_loc(&self, t: u8) -> Result<std::result::Result<Reg, i16>> {
        match t {
            0 => Ok(Ok(R6)),
            1 => Ok(Ok(R7)),
            2 => Ok(Ok(R8)),
            _ => {
                let k = t - 3;
                if k >= frame::MAX_STACK_TEMPS {
                    return Err(Diag::without_span(
                        "D_EXPR_DEPTH",
                        "expression too complex: nesting exceeds the code generator's temporaries",
                    ));
                }
                Ok(Err(frame::TEMPS - 8 * k as i16))
            }
        }
    }

    /// The register holding temporary `t`, loading it into `via` if the
    /// temporary lives on the stack.
    pub(crate) fn fetch(&mut self, t: u8, via: Reg) -> Result<Reg> {
        match self.temp_loc(t)? {
            Ok(r) => Ok(r),
            Err(off) => {
                self.a.emit(Insn::load(BPF_DW, via, FP, off));
                Ok(via)
            }
        }
    }

    /// Stores `r` into temporary `t`.
    pub(crate) fn put(&mut self, t: u8, r: Reg) -> Result<()> {
        match self.temp_loc(t)? {
            Ok(dst) => self.mov(dst, r),
            Err(off) => self.a.emit(Insn::store_reg(BPF_DW, FP, off, r)),
        }
        Ok(())
    }

    /// A register to compute temporary `t` in: its own register, or `via`.
    pub(crate) fn work_reg(&self, t: u8, via: Reg) -> Result<Reg> {
        Ok(self.temp_loc(t)?.unwrap_or(via))
    }

    // -- scratch allocation ----------------------------------------------------

    /// Reserves `size` bytes of clause scratch (8-aligned).
    pub(crate) fn alloc_scratch(&mut self, size: u32) -> u32 {
        let off = self.scratch_cur;
        self.scratch_cur += size.next_multiple_of(8);
        self.scratch_high = self.scratch_high.max(self.scratch_cur);
        off
    }

    // -- faults ----------------------------------------------------------------

    /// Emits: if `cond(reg, imm)` holds, fault with `kind`, the faulting
    /// address in `addr`.
    pub(crate) fn fault_if_imm(
        &mut self,
        cond: Cond,
        reg: Reg,
        imm: i32,
        kind: Fault,
        addr: Option<Reg>,
    ) {
        let ok = self.a.new_label();
        self.a.jmp_imm(cond.negate(), reg, imm, ok);
        self.raise_fault(kind, addr);
        self.a.bind(ok);
    }

    /// Stores the fault details and jumps to the clause's fault label.
    pub(crate) fn raise_fault(&mut self, kind: Fault, addr: Option<Reg>) {
        use super::scratch::*;
        let pc = self.a.pc() as i32;
        match addr {
            Some(r) => self
                .a
                .emit(Insn::store_reg(BPF_DW, R9, FAULT_ADDR as i16, r)),
            None => self
                .a
                .emit(Insn::store_imm(BPF_DW, R9, FAULT_ADDR as i16, 0)),
        }
        self.a
            .emit(Insn::store_imm(BPF_W, R9, FAULT_KIND as i16, kind as i32));
        let action = self.clause.as_ref().map_or(0, |c| c.action);
        self.a.emit(Insn::store_imm(
            BPF_W,
            R9,
            FAULT_ACTION as i16,
            action as i32,
        ));
        self.a
            .emit(Insn::store_imm(BPF_DW, R9, FAULT_PC as i16, pc));
        match &self.clause {
            Some(c) => {
                let l = c.fault;
                self.a.jmp(l);
            }
            None => {
                // Outside a clause (cannot happen for user code): give up.
                self.a.emit(Insn::mov64_imm(R0, 0));
                self.a.emit(Insn::exit());
            }
        }
    }

    // -- memory access -----------------------------------------------------------

    /// Reads `size` (1, 2, 4, 8) bytes at the address in `addr` into `dst`,
    /// extending to 64 bits; faults on a bad address. Clobbers r0–r5.
    pub(crate) fn load_mem(&mut self, dst: Reg, addr: Reg, size: u32, signed: bool, user: bool) {
        // Keep the address for the fault report across the call.
        self.a.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE, addr));
        self.mov(R3, addr);
        self.mov(R1, FP);
        self.a
            .emit(Insn::alu64_imm(Alu::Add, R1, frame::READ as i32));
        self.a.emit(Insn::mov64_imm(R2, size as i32));
        self.call(if user {
            helper::PROBE_READ_USER
        } else {
            helper::PROBE_READ_KERNEL
        });
        let ok = self.a.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, ok);
        self.a.emit(Insn::load(BPF_DW, R1, FP, frame::SAVE));
        self.raise_fault(Fault::BadAddr, Some(R1));
        self.a.bind(ok);
        self.a
            .emit(Insn::load(size_bits(size), dst, FP, frame::READ));
        if signed && size < 8 {
            self.sign_extend(dst, size);
        }
    }

    /// Copies `len` bytes from memory at `src` to scratch offset `dst_off`,
    /// faulting on a bad address.
    #[allow(dead_code)]
    pub(crate) fn copy_mem_to_scratch(&mut self, dst_off: u32, src: Reg, len: u32, user: bool) {
        self.a.emit(Insn::store_reg(BPF_DW, FP, frame::SAVE, src));
        self.mov(R3, src);
        self.scratch_ptr(R1, dst_off);
        self.a.emit(Insn::mov64_imm(R2, len as i32));
        self.call(if user {
            helper::PROBE_READ_USER
        } else {
            helper::PROBE_READ_KERNEL
        });
        let ok = self.a.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, ok);
        self.a.emit(Insn::load(BPF_DW, R1, FP, frame::SAVE));
        self.raise_fault(Fault::BadAddr, Some(R1));
        self.a.bind(ok);
    }

    pub(crate) fn sign_extend(&mut self, r: Reg, size: u32) {
        let shift = 64 - 8 * size as i32;
        self.a.emit(Insn::alu64_imm(Alu::Lsh, r, shift));
        self.a.emit(Insn::alu64_imm(Alu::Arsh, r, shift));
    }

    pub(crate) fn zero_extend(&mut self, r: Reg, size: u32) {
        match size {
            4 => self.a.emit(Insn::alu32_reg(Alu::Mov, r, r)),
            1 | 2 => self
                .a
                .emit(Insn::alu64_imm(Alu::And, r, (1i32 << (8 * size)) - 1)),
            _ => {}
        }
    }

    /// Converts the 64-bit value in `r` to an integer of `size` bytes.
    pub(crate) fn narrow(&mut self, r: Reg, size: u32, signed: bool) {
        if size >= 8 {
            return;
        }
        if signed {
            self.sign_extend(r, size);
        } else {
            self.zero_extend(r, size);
        }
    }

    /// Increments the per-CPU drop counter `idx`. Clobbers r0–r2.
    pub(crate) fn bump_counter(&mut self, idx: u32) {
        self.a.emit(Insn::store_imm(BPF_W, FP, frame::KEY, 0));
        self.map_ref(R1, self.layout.counters_map);
        self.mov(R2, FP);
        self.a
            .emit(Insn::alu64_imm(Alu::Add, R2, frame::KEY as i32));
        self.call(helper::MAP_LOOKUP_ELEM);
        let skip = self.a.new_label();
        self.a.jmp_imm(Cond::Eq, R0, 0, skip);
        self.a.emit(Insn::mov64_imm(R1, 1));
        self.a.emit(Insn::atomic_add64(R0, (8 * idx) as i16, R1));
        self.a.bind(skip);
    }

    /// Zeroes `len` bytes of scratch at `off` (len a multiple of 8).
    pub(crate) fn zero_scratch(&mut self, off: u32, len: u32) {
        if len <= 128 {
            for i in (0..len).step_by(8) {
                self.a
                    .emit(Insn::store_imm(BPF_DW, R9, (off + i) as i16, 0));
            }
        } else {
            // Copy from the zero string in rodata (at offset 0), a
            // `strsize`-long block, as many times as needed.
            let mut done = 0;
            while done < len {
                let n = (len - done).min(self.strsize);
                self.scratch_ptr(R1, off + done);
                self.a.emit(Insn::mov64_imm(R2, n as i32));
                self.rodata_ptr(R3, 0);
                self.call(helper::PROBE_READ_KERNEL);
                done += n;
            }
        }
    }

    /// Copies `len` bytes between two pointers held in registers (r1 = dst,
    /// r3 = src). Clobbers r0–r5.
    pub(crate) fn copy_regs(&mut self, len: u32) {
        if len <= 64 {
            for i in (0..len).step_by(8) {
                self.a.emit(Insn::load(BPF_DW, R0, R3, i as i16));
                self.a.emit(Insn::store_reg(BPF_DW, R1, i as i16, R0));
            }
        } else {
            self.a.emit(Insn::mov64_imm(R2, len as i32));
            self.call(helper::PROBE_READ_KERNEL);
        }
    }

    pub(crate) fn new_label(&mut self) -> Label {
        self.a.new_label()
    }
}
