//! Typed program → BPF programs, maps and record layouts.
//!
//! One BPF program is generated per probe group (see [`crate::probes`]).
//! Each is a trampoline that builds the probe context in per-CPU scratch
//! memory, followed by the clauses enabled on the group's probes, inline, in
//! program order. Code that several places need (the fault handler with the
//! ERROR clauses, string comparison) is emitted once per program as a
//! BPF-to-BPF subprogram.
//!
//! # Registers
//!
//! `r9` holds the scratch pointer for the whole program (it survives helper
//! calls). `r6`–`r8` are the first three expression temporaries; deeper
//! temporaries live in stack slots. `r0`–`r5` are only used within one
//! emitted operation, since every helper call clobbers them.
//!
//! # Scratch memory
//!
//! The BPF stack is 512 bytes, too small for strings, keys and records, so
//! each CPU has a scratch area: an element of an array map indexed by CPU
//! number (a per-CPU array would cap it at 32 KiB). Its layout is fixed at
//! the start ([`scratch`]), then `this->` variables, then a region reused by
//! each clause in turn for its record buffer and its temporaries (strings,
//! keys). Probe programs on one CPU do not nest except for NMI-context
//! programs, which use their own area (see `trampoline`).

mod actions;
mod aggregate;
mod emit;
mod expr;
mod strings;
mod trampoline;

use crate::bpf::insn::Insn;
use crate::object::*;
use crate::probes::{ProbeGroup, ProbeInfo};
use crate::sema::Checked;
use crate::tir::*;
use dtrace_syntax::diag::{Diag, Result};
use std::collections::HashMap;

pub use aggregate::{agg_data_words, agg_value_size, output_func};
pub use emit::Gen;

/// Fixed offsets in the per-CPU scratch area.
pub mod scratch {
    /// `arg0..arg9` of the firing probe.
    pub const ARGS: u32 = 0;
    /// The firing probe's slot within its group.
    pub const PIDX: u32 = 80;
    /// The epid of the clause being run (for fault reports).
    pub const EPID: u32 = 88;
    /// `timestamp`, read once per firing.
    pub const TIMESTAMP: u32 = 96;
    /// `errno` of a syscall return probe.
    pub const ERRNO: u32 = 104;
    /// Fault details handed to the fault handler.
    pub const FAULT_KIND: u32 = 112;
    pub const FAULT_ACTION: u32 = 116;
    pub const FAULT_PC: u32 = 120;
    pub const FAULT_ADDR: u32 = 128;
    /// `arg0..arg9` of the ERROR probe while its clauses run.
    pub const ERR_ARGS: u32 = 136;
    /// The CPU number.
    pub const CPU: u32 = 216;
    /// A copy of the syscall's saved registers (`struct pt_regs`).
    pub const REGS: u32 = 224;
    pub const REGS_SIZE: u32 = 168;
    /// Zero-filled bytes, `strsize` long, used to pad strings.
    pub const FIXED_END: u32 = 392;
}

/// Settings that shape generated code and maps.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub strsize: u32,
    /// Ring buffer size in bytes (a power of two).
    pub bufsize: u32,
    /// Space for dynamic variables (`self->`, associative arrays).
    pub dynvarsize: u64,
    /// Space for aggregations.
    pub aggsize: u64,
    /// Stack frames for `stack()`.
    pub stackframes: u32,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            strsize: 256,
            bufsize: 4 << 20,
            dynvarsize: 1 << 20,
            aggsize: 4 << 20,
            stackframes: 20,
        }
    }
}

/// Object-wide facts every program's generator consults.
pub(crate) struct Layout {
    pub globals_map: u32,
    pub rodata_map: u32,
    pub scratch_map: u32,
    pub records_map: u32,
    pub counters_map: u32,
    /// Offset in the globals value of each global scalar.
    pub global_off: HashMap<VarId, u32>,
    /// Offset in scratch of each clause-local.
    pub this_off: HashMap<VarId, u32>,
    /// Map index of each thread-local and associative array.
    pub var_map: HashMap<VarId, u32>,
    /// Map index of each aggregation.
    pub agg_map: HashMap<AggId, u32>,
    /// Start of the per-clause region in scratch.
    pub clause_area: u32,
    /// Record layout of each clause.
    pub records: Vec<RecordLayout>,
    /// Bytes of a D string value.
    #[allow(dead_code)]
    pub strsize: u32,
}

/// Read-only data: string literals and tables, in one array-map value.
#[derive(Default)]
pub(crate) struct Rodata {
    pub bytes: Vec<u8>,
    strings: HashMap<Vec<u8>, u32>,
    /// The largest block of zeros handed out so far: `(offset, length)`.
    zero_block: Option<(u32, u32)>,
}

impl Rodata {
    /// Appends `data` aligned to 8 bytes; returns its offset.
    pub fn add(&mut self, data: &[u8]) -> u32 {
        let off = self.bytes.len().next_multiple_of(8);
        self.bytes.resize(off, 0);
        self.bytes.extend_from_slice(data);
        off as u32
    }

    /// The offset of at least `len` zero bytes (shared by every caller).
    pub fn zeros(&mut self, len: u32) -> u32 {
        match self.zero_block {
            Some((off, have)) if have >= len => off,
            _ => {
                let off = self.add(&vec![0u8; len as usize]);
                self.zero_block = Some((off, len));
                off
            }
        }
    }

    /// A string literal padded with NULs to `strsize` bytes.
    pub fn string(&mut self, s: &[u8], strsize: u32) -> u32 {
        if let Some(&o) = self.strings.get(s) {
            return o;
        }
        let mut v = s.to_vec();
        v.resize(strsize as usize, 0);
        let o = self.add(&v);
        self.strings.insert(s.to_vec(), o);
        o
    }
}

/// Generates the object for a checked program. `probes` describes every
/// probe a clause enables; `groups` says how they attach.
pub fn generate(
    checked: Checked,
    groups: Vec<ProbeGroup>,
    probes: &dyn Fn(u32) -> Option<ProbeInfo>,
    error_probe: Option<u32>,
    btf: &crate::btf::LazyBtf,
    opts: &GenOptions,
) -> Result<Object> {
    let strsize = opts.strsize.next_multiple_of(8);
    let mut maps = vec![
        MapDef {
            name: "globals".into(),
            role: MapRole::Globals,
            kind: MapKind::Array,
            key_size: 4,
            value_size: 0, // set below
            max_entries: 1,
            mmapable: true,
        },
        MapDef {
            name: "rodata".into(),
            role: MapRole::Rodata,
            kind: MapKind::Array,
            key_size: 4,
            value_size: 0,
            max_entries: 1,
            mmapable: false,
        },
        MapDef {
            name: "scratch".into(),
            role: MapRole::Scratch,
            kind: MapKind::Array,
            key_size: 4,
            value_size: 0,
            max_entries: 0,
            mmapable: false,
        },
        MapDef {
            name: "records".into(),
            role: MapRole::Records,
            kind: MapKind::RingBuf,
            key_size: 0,
            value_size: 0,
            max_entries: opts.bufsize.next_power_of_two().max(4096),
            mmapable: false,
        },
        MapDef {
            name: "counters".into(),
            role: MapRole::Counters,
            kind: MapKind::PercpuArray,
            key_size: 4,
            value_size: 8 * counter::COUNT,
            max_entries: 1,
            mmapable: false,
        },
    ];
    let types = &checked.types;
    let mut global_off = HashMap::new();
    let mut this_off = HashMap::new();
    let mut var_map = HashMap::new();
    let mut gsize = globals::VARS;
    let mut this_end = scratch::FIXED_END + strsize;
    for (i, v) in checked.vars.iter().enumerate() {
        let id = VarId(i as u32);
        let size = value_size(types, v.ty, strsize);
        match v.scope {
            VarScope::Global => {
                global_off.insert(id, gsize);
                gsize += size.next_multiple_of(8);
            }
            VarScope::Clause => {
                this_off.insert(id, this_end);
                this_end += size.next_multiple_of(8);
            }
            VarScope::Thread | VarScope::Assoc => {
                let key_size = if v.scope == VarScope::Thread {
                    8
                } else {
                    v.keys
                        .iter()
                        .map(|k| key_slot(types, *k, strsize))
                        .sum::<u32>()
                        .max(8)
                };
                let entry = (key_size + size + 64) as u64;
                let entries = (opts.dynvarsize / entry).clamp(64, 1 << 20) as u32;
                var_map.insert(id, maps.len() as u32);
                maps.push(MapDef {
                    name: format!(
                        "{}{}",
                        if v.scope == VarScope::Thread {
                            "self_"
                        } else {
                            "assoc_"
                        },
                        v.name
                    ),
                    role: if v.scope == VarScope::Thread {
                        MapRole::ThreadVar(id)
                    } else {
                        MapRole::Assoc(id)
                    },
                    kind: MapKind::Hash,
                    key_size,
                    value_size: size.max(1),
                    max_entries: entries,
                    mmapable: false,
                });
            }
        }
    }
    let mut agg_map = HashMap::new();
    let mut aggs = Vec::new();
    for (i, a) in checked.aggs.iter().enumerate() {
        let id = AggId(i as u32);
        let mut keys = Vec::new();
        let mut koff = 0;
        for &k in &a.keys {
            let kind = value_kind(types, k);
            keys.push(DataItem {
                offset: koff,
                kind,
                ty: k,
            });
            koff += key_slot(types, k, strsize);
        }
        aggregate::check_func(a.func, a.span)?;
        let value_size = agg_value_size(a.func);
        let keyed = !a.keys.is_empty();
        let map = maps.len();
        agg_map.insert(id, map as u32);
        let entry = (koff + value_size + 64) as u64;
        maps.push(MapDef {
            name: format!("agg_{}", if a.name.is_empty() { "_" } else { &a.name }),
            role: MapRole::Agg(id),
            kind: if keyed {
                MapKind::PercpuHash
            } else {
                MapKind::PercpuArray
            },
            key_size: if keyed { koff } else { 4 },
            value_size,
            max_entries: if keyed {
                (opts.aggsize / entry).clamp(64, 1 << 20) as u32
            } else {
                1
            },
            mmapable: false,
        });
        aggs.push(AggDesc {
            name: a.name.clone(),
            func: a.func,
            keys,
            key_size: koff,
            value_size,
            map,
            has_flag: !keyed,
        });
    }
    // Record layouts are static per clause and known before code is made.
    let records: Vec<RecordLayout> = checked
        .clauses
        .iter()
        .map(|c| actions::record_layout(types, &c.body, strsize))
        .collect();
    let layout = Layout {
        globals_map: 0,
        rodata_map: 1,
        scratch_map: 2,
        records_map: 3,
        counters_map: 4,
        global_off,
        this_off,
        var_map,
        agg_map,
        clause_area: this_end.next_multiple_of(8),
        records,
        strsize,
    };
    let mut rodata = Rodata::default();
    // The zero string sits at a fixed place so padding code can find it.
    rodata.add(&vec![0u8; strsize as usize]);
    let mut epids = vec![EpidDesc {
        probe: 0,
        clause: usize::MAX,
    }];
    let mut programs = Vec::new();
    let mut scratch_size = layout.clause_area;
    let error_clauses: Vec<usize> = match error_probe {
        Some(eid) => checked
            .clauses
            .iter()
            .enumerate()
            .filter(|(_, c)| c.probes.contains(&eid))
            .map(|(i, _)| i)
            .collect(),
        None => Vec::new(),
    };
    // Epids of the ERROR clauses are shared by every program's handler.
    let mut error_epids = Vec::new();
    if let Some(eid) = error_probe {
        for &ci in &error_clauses {
            error_epids.push((ci, epids.len() as u32));
            epids.push(EpidDesc {
                probe: eid,
                clause: ci,
            });
        }
    }
    for (gi, g) in groups.iter().enumerate() {
        // Which clauses run in this group, and on which of its slots.
        let mut clause_slots: Vec<(usize, Vec<usize>, u32)> = Vec::new();
        for (ci, c) in checked.clauses.iter().enumerate() {
            let slots: Vec<usize> = g
                .probes
                .iter()
                .enumerate()
                .filter(|(_, p)| c.probes.contains(p))
                .map(|(i, _)| i)
                .collect();
            if slots.is_empty() {
                continue;
            }
            let base = epids.len() as u32;
            for &p in &g.probes {
                epids.push(EpidDesc {
                    probe: p,
                    clause: ci,
                });
            }
            clause_slots.push((ci, slots, base));
        }
        if clause_slots.is_empty() {
            continue;
        }
        let infos: Vec<Option<ProbeInfo>> = g.probes.iter().map(|&p| probes(p)).collect();
        let mut g2 = Gen::new(
            &checked,
            &layout,
            &mut rodata,
            g,
            &infos,
            btf,
            opts,
            strsize,
        );
        g2.error_epids = error_epids.clone();
        let insns: Vec<Insn> = g2.program(&clause_slots)?;
        scratch_size = scratch_size.max(g2.scratch_high_water());
        programs.push(ProgramDef {
            name: g.name.clone(),
            group: gi,
            insns,
            runs_in: g.runs_in,
        });
    }
    maps[0].value_size = gsize.next_multiple_of(8).max(64);
    maps[1].value_size = (rodata.bytes.len() as u32).next_multiple_of(8).max(8);
    maps[2].value_size = scratch_size.next_multiple_of(8);
    if maps[2].value_size > 1 << 20 {
        return Err(Diag::without_span(
            "D_SCRATCH",
            "program needs more than 1 MiB of scratch space per CPU",
        ));
    }
    let mut rod = rodata.bytes;
    rod.resize(maps[1].value_size as usize, 0);
    Ok(Object {
        maps,
        programs,
        groups,
        epids,
        clauses: layout.records,
        formats: checked.formats,
        aggs,
        rodata: rod,
        globals_size: gsize,
        strsize,
        types: checked.types,
        error_probe,
        needs_destructive: checked.destructive,
    })
}

/// Bytes a variable of type `ty` occupies.
pub(crate) fn value_size(
    types: &crate::types::TypeTable,
    ty: crate::types::TypeId,
    strsize: u32,
) -> u32 {
    if types.is_string(ty) {
        strsize
    } else {
        (types.size_of(ty, strsize as u64) as u32)
            .max(1)
            .next_multiple_of(8)
            .max(8)
    }
}

/// Bytes a key element of type `ty` occupies in a tuple key.
pub(crate) fn key_slot(
    types: &crate::types::TypeTable,
    ty: crate::types::TypeId,
    strsize: u32,
) -> u32 {
    if types.is_string(ty) { strsize } else { 8 }
}

pub(crate) fn value_kind(types: &crate::types::TypeTable, ty: crate::types::TypeId) -> ValueKind {
    if types.is_string(ty) {
        ValueKind::Str
    } else if types.is_pointer(ty) {
        ValueKind::Ptr
    } else {
        ValueKind::Int {
            size: types.size_of(ty, 8).clamp(1, 8) as u8,
            signed: types.is_signed(ty),
        }
    }
}

/// DTrace's power-of-two histogram: 63 negative buckets, zero, 63 positive.
pub const QUANTIZE_BUCKETS: u32 = 127;
pub const QUANTIZE_ZERO: u32 = 63;
