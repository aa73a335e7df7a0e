//! The consumer: records from the ring buffer and aggregation snapshots
//! turned into dtrace(1)'s output.
//!
//! A record is decoded with the object's description of its clause (the
//! `RecordLayout`), action by action in the order the `present` mask says
//! they ran, and handed to the output crate, which owns every byte of
//! formatting. Aggregations live in per-CPU BPF maps; a snapshot merges the
//! CPUs' copies. Their values are stored as `[updates, data...]` (the
//! update count tells an untouched CPU copy from a real zero); the consumer
//! converts them to the output crate's layouts.

use crate::options::Options;
use crate::providers::Catalog;
use dtrace_compiler::object::{DataItem, Fault, Object, RecAction, ValueKind};
use dtrace_compiler::tir::{AggFunc as TAggFunc, AggId};
use dtrace_kernel::{Map, RingBuf, UpdateMode};
use dtrace_output::aggregate::{self, AggEntry, AggOptions, Aggregation};
use dtrace_output::printf::{self, Format};
use dtrace_output::trace::{self, TraceOptions};
use dtrace_output::{AggFunc, FormatContext, Llquantize, Lquantize, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;

/// Resolves what the formatter asks about the system.
struct Context {
    target: u64,
}

impl FormatContext for Context {
    fn target_pid(&self) -> u64 {
        self.target
    }
}

/// The aggregation maps, by aggregation id.
pub struct KernelAggs<'a> {
    maps: Vec<Option<&'a Map>>,
}

impl<'a> KernelAggs<'a> {
    pub fn new(object: &Object, maps: &'a [Map]) -> KernelAggs<'a> {
        KernelAggs {
            maps: object.aggs.iter().map(|a| maps.get(a.map)).collect(),
        }
    }
}

/// The function as the output crate knows it.
fn output_func(f: TAggFunc) -> AggFunc {
    match f {
        TAggFunc::Count => AggFunc::Count,
        TAggFunc::Sum => AggFunc::Sum,
        TAggFunc::Avg => AggFunc::Avg,
        TAggFunc::Min => AggFunc::Min,
        TAggFunc::Max => AggFunc::Max,
        TAggFunc::Stddev => AggFunc::Stddev,
        TAggFunc::Quantize => AggFunc::Quantize,
        TAggFunc::Lquantize { base, step, levels } => {
            let limit = base + step * levels as i64;
            Lquantize::new(base as i32, limit as i32, step as u16)
                .map_or(AggFunc::Quantize, AggFunc::Lquantize)
        }
        TAggFunc::Llquantize {
            factor,
            low,
            high,
            nsteps,
        } => Llquantize::new(factor, low, high, nsteps)
            .map_or(AggFunc::Quantize, AggFunc::Llquantize),
    }
}

/// One CPU's `[updates, data...]` in the output crate's layout, or `None`
/// if that CPU never updated the value.
fn convert(f: &AggFunc, raw: &[i64]) -> Option<Vec<i64>> {
    let updates = *raw.first()?;
    if updates == 0 {
        return None;
    }
    let data = &raw[1..];
    let word = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut v = match f {
        AggFunc::Count => vec![updates],
        AggFunc::Sum => vec![word(0)],
        AggFunc::Min | AggFunc::Max => vec![word(0), updates],
        AggFunc::Avg => vec![updates, word(0)],
        AggFunc::Stddev => vec![updates, word(0), word(1), word(2)],
        _ => data.to_vec(),
    };
    v.resize(f.words(), 0);
    Some(v)
}

fn words_of(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

fn read_u32(d: &[u8], off: usize) -> u32 {
    d.get(off..off + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
}

fn read_u64(d: &[u8], off: usize) -> u64 {
    d.get(off..off + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

pub struct Consumer<'a> {
    object: &'a Object,
    catalog: &'a Catalog,
    options: &'a Options,
    out: Box<dyn Write>,
    buf: Vec<u8>,
    aggs: KernelAggs<'a>,
    ctx: Context,
    formats: Vec<Option<Format>>,
    heading_printed: bool,
    exit_status: Option<u8>,
    printed: HashSet<AggId>,
    normal: HashMap<AggId, u64>,
}

impl<'a> Consumer<'a> {
    pub fn new(
        object: &'a Object,
        catalog: &'a Catalog,
        options: &'a Options,
        out: Box<dyn Write>,
        aggs: KernelAggs<'a>,
        target: u64,
    ) -> Consumer<'a> {
        Consumer {
            object,
            catalog,
            options,
            out,
            buf: Vec::with_capacity(1 << 16),
            aggs,
            ctx: Context { target },
            formats: object
                .formats
                .iter()
                .map(|f| {
                    printf::parse_format(f)
                        .map_err(|e| {
                            eprintln!("dtrace: bad format {:?}: {e}", String::from_utf8_lossy(f))
                        })
                        .ok()
                })
                .collect(),
            heading_printed: false,
            exit_status: None,
            printed: HashSet::new(),
            normal: HashMap::new(),
        }
    }

    /// The status of the `exit()` seen, if any.
    pub fn exit_status(&self) -> Option<u8> {
        self.exit_status
    }

    pub fn write_raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Writes pending output; a failing output is fatal, as in dtrace(1).
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            let _ = self.out.flush();
            return;
        }
        let r = self.out.write_all(&self.buf).and_then(|_| self.out.flush());
        self.buf.clear();
        if let Err(e) = r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            crate::report::fatal(&format!(
                "failed to write to <stdout>: {}",
                crate::report::errno_text(&e)
            ));
            std::process::exit(1);
        }
    }

    /// Consumes every record available now.
    pub fn drain(&mut self, ring: &mut RingBuf) {
        loop {
            let mut records = Vec::new();
            let n = ring.consume(|r| records.push(r.to_vec())).unwrap_or(0);
            for r in &records {
                self.record(r);
            }
            if self.buf.len() > 1 << 15 {
                self.flush();
            }
            if n == 0 {
                break;
            }
        }
        self.flush();
    }

    fn value(&self, rec: &[u8], item: &DataItem) -> Value {
        let off = item.offset as usize;
        match item.kind {
            ValueKind::Int { size, signed } => Value::Int {
                bits: read_u64(rec, off),
                size,
                signed,
            },
            ValueKind::Ptr => Value::Int {
                bits: read_u64(rec, off),
                size: 8,
                signed: false,
            },
            ValueKind::Str => {
                let end = (off + self.object.strsize as usize).min(rec.len());
                Value::Bytes(rec.get(off..end).unwrap_or(&[]).to_vec())
            }
        }
    }

    fn record(&mut self, rec: &[u8]) {
        if rec.len() < 16 {
            return;
        }
        let epid = read_u32(rec, 0);
        let cpu = read_u32(rec, 4);
        let present = read_u64(rec, 8);
        if epid == 0 {
            self.fault(rec);
            return;
        }
        let Some(desc) = self.object.epids.get(epid as usize).copied() else {
            return;
        };
        let Some(layout) = self.object.clauses.get(desc.clause) else {
            return;
        };
        let quiet = self.options.quiet;
        if !quiet {
            if !self.heading_printed {
                if let Some(h) = dtrace_output::probe::heading(false, false) {
                    self.buf.extend_from_slice(h.as_bytes());
                }
                self.heading_printed = true;
            }
            let (func, name) = self
                .catalog
                .get(desc.probe)
                .map_or(("", ""), |p| (p.function.as_str(), p.name.as_str()));
            let prefix = dtrace_output::probe::probe_prefix(cpu, desc.probe, func, name);
            self.buf.extend_from_slice(prefix.as_bytes());
        }
        for (i, action) in layout.actions.iter().enumerate() {
            if i < 64 && present & (1 << i) == 0 {
                continue;
            }
            self.action(rec, action);
        }
        if !quiet {
            self.buf.push(b'\n');
        }
    }

    fn action(&mut self, rec: &[u8], action: &RecAction) {
        match action {
            RecAction::Default => {}
            RecAction::Trace(item) => {
                let v = self.value(rec, item);
                let opts = TraceOptions {
                    quiet: self.options.quiet,
                    raw_bytes: self.options.rawbytes,
                    stack_indent: self.options.stackindent as usize,
                };
                trace::trace(&mut self.buf, &v, &opts, &self.ctx);
            }
            RecAction::Printf { format, args } | RecAction::System { format, args } => {
                let values: Vec<Value> = args.iter().map(|a| self.value(rec, a)).collect();
                let Some(Some(f)) = self.formats.get(*format) else {
                    return;
                };
                let mut text = Vec::new();
                if let Err(e) = printf::format(f, &values, &mut text, &self.ctx) {
                    self.flush();
                    eprintln!("dtrace: printf( ) failed: {e}");
                }
                if matches!(action, RecAction::System { .. }) {
                    self.flush();
                    let cmd = String::from_utf8_lossy(&text).into_owned();
                    let _ = std::process::Command::new("/bin/sh")
                        .arg("-c")
                        .arg(cmd)
                        .status();
                } else {
                    self.buf.extend_from_slice(&text);
                }
            }
            RecAction::Printa { format, aggs } => {
                let snaps: Vec<Aggregation> = aggs.iter().map(|&a| self.snapshot(a)).collect();
                let refs: Vec<&Aggregation> = snaps.iter().collect();
                let opts = self.agg_options();
                match format.and_then(|f| self.formats.get(f).and_then(|f| f.as_ref())) {
                    Some(f) => {
                        let _ =
                            aggregate::printa_formatted(&mut self.buf, f, &refs, &opts, &self.ctx);
                    }
                    None => {
                        let _ = aggregate::printa(&mut self.buf, &refs, &opts, &self.ctx);
                    }
                }
                self.printed.extend(aggs.iter().copied());
            }
            RecAction::Exit(item) => {
                let v = read_u64(rec, item.offset as usize);
                self.exit_status = Some(v as u8);
            }
            RecAction::Clear(agg) => self.clear(*agg),
            RecAction::Trunc(agg, n) => {
                let keep = n.map_or(0, |it| read_u64(rec, it.offset as usize) as i64);
                self.trunc(*agg, keep);
            }
            RecAction::Normalize(agg, item) => {
                let n = read_u64(rec, item.offset as usize);
                self.normal.insert(*agg, n.max(1));
            }
            RecAction::Denormalize(agg) => {
                self.normal.remove(agg);
            }
            RecAction::Setopt(..) | RecAction::Freopen { .. } | RecAction::Ftruncate => {}
        }
    }

    fn fault(&mut self, rec: &[u8]) {
        let epid = read_u32(rec, 16);
        let action = read_u32(rec, 20);
        let kind = read_u32(rec, 24);
        let pc = read_u64(rec, 32);
        let addr = read_u64(rec, 40);
        let probe = self.object.epids.get(epid as usize).map_or(0, |d| d.probe);
        let (p, m, f, n) = self.catalog.get(probe).map_or(("", "", "", ""), |p| {
            (
                p.provider.as_str(),
                p.module.as_str(),
                p.function.as_str(),
                p.name.as_str(),
            )
        });
        let fault = Fault::from_u32(kind);
        let what = match fault {
            Some(Fault::BadAddr) => "invalid address",
            Some(Fault::BadAlign) => "invalid alignment",
            Some(Fault::IllOp) => "illegal operation",
            Some(Fault::DivZero) => "divide-by-zero",
            Some(Fault::NoScratch) => "out of scratch space",
            Some(Fault::KPriv) => "invalid kernel access",
            Some(Fault::UPriv) => "invalid user access",
            Some(Fault::TupOflow) => "tuple stack overflow",
            Some(Fault::BadStack) => "bad stack",
            _ => "unknown fault",
        };
        let detail = match fault {
            Some(Fault::BadAddr | Fault::BadAlign | Fault::BadStack) => format!(" (0x{addr:x})"),
            _ => String::new(),
        };
        let place = if action == 0 {
            "predicate".to_string()
        } else {
            format!("action #{action}")
        };
        self.flush();
        eprintln!(
            "dtrace: error on enabled probe ID {epid} (ID {probe}: {p}:{m}:{f}:{n}): {what}{detail} in {place} at DIF offset {pc}"
        );
    }

    fn agg_options(&self) -> AggOptions {
        let o = self.options;
        AggOptions {
            sort_key: o.aggsortkey,
            sort_key_pos: (o.aggsortkeypos != 0).then_some(o.aggsortkeypos as u64),
            sort_pos: (o.aggsortpos != 0).then_some(o.aggsortpos as u64),
            sort_rev: o.aggsortrev,
            hist: o.agghist,
            pack: o.aggpack,
            raw_bytes: o.rawbytes,
            stack_indent: o.stackindent as usize,
            ..AggOptions::default()
        }
    }

    /// Reads an aggregation from the kernel, merging the CPUs' copies;
    /// also returns each entry's raw key.
    fn read_agg(&self, id: AggId) -> (Aggregation, Vec<Vec<u8>>) {
        let desc = &self.object.aggs[id.0 as usize];
        let func = output_func(desc.func);
        let mut agg = Aggregation {
            id: id.0 + 1,
            func,
            entries: Vec::new(),
        };
        let mut raw_keys = Vec::new();
        let Some(Some(map)) = self.aggs.maps.get(id.0 as usize) else {
            return (agg, raw_keys);
        };
        let normal = self.normal.get(&id).copied().unwrap_or(1);
        let merge = |value: &[u8]| -> Option<Vec<i64>> {
            let mut total: Option<Vec<i64>> = None;
            for cpu in dtrace_kernel::map::split_percpu(value, map.value_size()) {
                let Some(v) = convert(&func, &words_of(cpu)) else {
                    continue;
                };
                match &mut total {
                    None => total = Some(v),
                    Some(t) => func.merge(t, &v),
                }
            }
            total
        };
        if desc.has_flag {
            let mut buf = vec![0u8; map.value_len()];
            if let Ok(true) = map.lookup(&0u32.to_le_bytes(), &mut buf) {
                if let Some(data) = merge(&buf) {
                    let mut e = AggEntry::new(Vec::new(), data);
                    e.normal = normal;
                    agg.entries.push(e);
                    raw_keys.push(0u32.to_le_bytes().to_vec());
                }
            }
            return (agg, raw_keys);
        }
        let Ok(entries) = map.entries() else {
            return (agg, raw_keys);
        };
        for (key, value) in entries.iter() {
            let Some(data) = merge(value) else { continue };
            let keys = desc
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let end = desc
                        .keys
                        .get(i + 1)
                        .map_or(key.len(), |n| n.offset as usize);
                    match k.kind {
                        ValueKind::Str => {
                            Value::Bytes(key.get(k.offset as usize..end).unwrap_or(&[]).to_vec())
                        }
                        ValueKind::Int { size, signed } => Value::Int {
                            bits: read_u64(key, k.offset as usize),
                            size,
                            signed,
                        },
                        ValueKind::Ptr => Value::Int {
                            bits: read_u64(key, k.offset as usize),
                            size: 8,
                            signed: false,
                        },
                    }
                })
                .collect();
            let mut e = AggEntry::new(keys, data);
            e.normal = normal;
            agg.entries.push(e);
            raw_keys.push(key.to_vec());
        }
        (agg, raw_keys)
    }

    fn snapshot(&self, id: AggId) -> Aggregation {
        self.read_agg(id).0
    }

    /// `clear(@a)`: every value becomes zero; the keys stay. A cleared
    /// value keeps an update count of one on one CPU so it still prints.
    fn clear(&mut self, id: AggId) {
        let desc = &self.object.aggs[id.0 as usize];
        let Some(Some(map)) = self.aggs.maps.get(id.0 as usize) else {
            return;
        };
        let (_, keys) = self.read_agg(id);
        let mut zero = vec![0u8; map.value_len()];
        // Mark the first CPU's copy as updated so the key survives.
        if let Some(w) = zero.get_mut(0..8) {
            w.copy_from_slice(&1u64.to_le_bytes());
        }
        if matches!(desc.func, TAggFunc::Count) {
            // For count() the update count is the value: keep it zero,
            // and accept that a cleared count() key prints as absent
            // until it counts again.
            zero[0..8].copy_from_slice(&0u64.to_le_bytes());
        }
        for k in keys {
            let _ = map.update(&k, &zero, UpdateMode::Exist);
        }
    }

    /// `trunc(@a, n)`: keeps the top `n` entries (bottom `-n`), or none.
    fn trunc(&mut self, id: AggId, keep: i64) {
        let Some(Some(map)) = self.aggs.maps.get(id.0 as usize) else {
            return;
        };
        let (agg, keys) = self.read_agg(id);
        let mut order: Vec<usize> = (0..agg.entries.len()).collect();
        order.sort_by(|&a, &b| agg.func.compare(&agg.entries[a].data, &agg.entries[b].data));
        let n = order.len();
        let kept: HashSet<usize> = if keep > 0 {
            order[n.saturating_sub(keep as usize)..]
                .iter()
                .copied()
                .collect()
        } else if keep < 0 {
            order[..(keep.unsigned_abs() as usize).min(n)]
                .iter()
                .copied()
                .collect()
        } else {
            HashSet::new()
        };
        for (i, k) in keys.iter().enumerate() {
            if !kept.contains(&i) {
                if self.object.aggs[id.0 as usize].has_flag {
                    let zero = vec![0u8; map.value_len()];
                    let _ = map.update(k, &zero, UpdateMode::Any);
                } else {
                    let _ = map.delete(k);
                }
            }
        }
    }

    /// At the end: every aggregation `printa()` did not print.
    pub fn print_remaining_aggregations(&mut self) {
        let ids: Vec<AggId> = (0..self.object.aggs.len() as u32)
            .map(AggId)
            .filter(|id| !self.printed.contains(id))
            .collect();
        if ids.is_empty() {
            return;
        }
        let snaps: Vec<Aggregation> = ids.iter().map(|&a| self.snapshot(a)).collect();
        let refs: Vec<&Aggregation> = snaps.iter().collect();
        let opts = self.agg_options();
        if aggregate::print_aggregations(&mut self.buf, &refs, &opts, &self.ctx).is_err() {
            self.flush();
            crate::report::fatal(
                "failed to print aggregations: Data record list does not match statement",
            );
        }
        self.flush();
    }
}
