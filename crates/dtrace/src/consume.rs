//! The consumer: records from the ring buffer and aggregation snapshots
//! turned into dtrace(1)'s output.
//!
//! A record is decoded with the object's description of its clause (the
//! `RecordLayout`), action by action in the order the `present` mask says
//! they ran, and handed to the output crate, which owns every byte of
//! formatting. Aggregations are read from the kernel when a record or the
//! end of the session needs them (see [`aggregations`]).
//!
//! The consumer keeps its own copy of the options: `setopt()` changes the
//! dynamic ones (quiet, the `agg*` display options, ...) while tracing, as
//! in DTrace.

mod aggregations;

use crate::options::{OptError, Options};
use crate::providers::Catalog;
use aggregations::{AggStore, agg_options};
use dtrace_compiler::object::{DataItem, Fault, Object, RecAction, ValueKind};
use dtrace_kernel::RingBuf;
use dtrace_output::aggregate::{self, Aggregation};
use dtrace_output::printf::{self, Format};
use dtrace_output::trace::{self, TraceOptions};
use dtrace_output::{FormatContext, Value};
use std::io::Write;

pub use aggregations::KernelAggs;

/// Resolves what the formatter asks about the system.
struct Context {
    target: u64,
}

impl FormatContext for Context {
    fn target_pid(&self) -> u64 {
        self.target
    }
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
    /// The options as they stand now (`setopt()` changes them).
    opts: Options,
    out: Box<dyn Write>,
    buf: Vec<u8>,
    aggs: AggStore<KernelAggs<'a>>,
    ctx: Context,
    formats: Vec<Option<Format>>,
    heading_printed: bool,
    exit_status: Option<u8>,
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
            opts: options.clone(),
            out,
            buf: Vec::with_capacity(1 << 16),
            aggs: AggStore::new(&object.aggs, aggs),
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
        if !self.opts.quiet {
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
            self.action(rec, action, epid);
        }
        // `setopt("quiet")` in this very clause already counts.
        if !self.opts.quiet {
            self.buf.push(b'\n');
        }
    }

    fn action(&mut self, rec: &[u8], action: &RecAction, epid: u32) {
        match action {
            RecAction::Default => {}
            RecAction::Trace(item) => {
                let v = self.value(rec, item);
                let opts = TraceOptions {
                    quiet: self.opts.quiet,
                    raw_bytes: self.opts.rawbytes,
                    stack_indent: self.opts.stackindent as usize,
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
                let snaps = self.aggs.for_printa(aggs);
                let refs: Vec<&Aggregation> = snaps.iter().collect();
                let opts = agg_options(&self.opts);
                match format.and_then(|f| self.formats.get(f).and_then(|f| f.as_ref())) {
                    Some(f) => {
                        let _ =
                            aggregate::printa_formatted(&mut self.buf, f, &refs, &opts, &self.ctx);
                    }
                    None => {
                        let _ = aggregate::printa(&mut self.buf, &refs, &opts, &self.ctx);
                    }
                }
            }
            RecAction::Exit(item) => {
                let v = read_u64(rec, item.offset as usize);
                self.exit_status = Some(v as u8);
            }
            RecAction::Clear(agg) => self.aggs.clear(*agg),
            RecAction::Trunc(agg, n) => {
                let keep = n.map_or(0, |it| read_u64(rec, it.offset as usize) as i64);
                self.aggs.trunc(*agg, keep);
            }
            RecAction::Normalize(agg, item) => {
                let n = read_u64(rec, item.offset as usize);
                self.aggs.normalize(*agg, n);
            }
            RecAction::Denormalize(agg) => self.aggs.normalize(*agg, 1),
            RecAction::Setopt(name, value) => self.setopt(epid, name, value.as_deref()),
            RecAction::Freopen { .. } | RecAction::Ftruncate => {}
        }
    }

    /// `setopt()`: dynamic options change at once; the others cannot
    /// while tracing, which is reported like DTrace's library errors.
    fn setopt(&mut self, epid: u32, name: &str, value: Option<&str>) {
        // A missing value reaches the library as "1".
        let value = value.unwrap_or("1");
        let failure = match option_class(name) {
            OptionClass::Dynamic => match self.opts.set(name, Some(value)) {
                Ok(()) => None,
                Err(OptError::Name) => Some("Invalid option name"),
                Err(OptError::Value) => Some("Invalid value for specified option"),
            },
            OptionClass::Static => Some("Operation illegal when tracing is active"),
            OptionClass::CompileFlag => Some("Invalid value for specified option"),
            OptionClass::CompileOther => None,
            OptionClass::Unknown => Some("Invalid option name"),
        };
        let Some(why) = failure else { return };
        let on_probe = self.enabled_probe(epid);
        self.flush();
        // The library's message ends in a newline and the report adds
        // another, hence the blank line.
        eprint!(
            "dtrace: error on {on_probe}: couldn't set option \"{name}\" to \"{value}\": {why}\n\n"
        );
    }

    /// `enabled probe ID 2 (ID 1: dtrace:::BEGIN)`, as DTrace names the
    /// enabled probe an error happened on.
    fn enabled_probe(&self, epid: u32) -> String {
        let probe = self.object.epids.get(epid as usize).map_or(0, |d| d.probe);
        match self.catalog.get(probe) {
            Some(p) => format!(
                "enabled probe ID {epid} (ID {probe}: {}:{}:{}:{})",
                p.provider, p.module, p.function, p.name
            ),
            None => format!("enabled probe ID {epid} (ID {probe}: :::)"),
        }
    }

    fn fault(&mut self, rec: &[u8]) {
        let epid = read_u32(rec, 16);
        let action = read_u32(rec, 20);
        let kind = read_u32(rec, 24);
        let pc = read_u64(rec, 32);
        let addr = read_u64(rec, 40);
        let on_probe = self.enabled_probe(epid);
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
        eprintln!("dtrace: error on {on_probe}: {what}{detail} in {place} at DIF offset {pc}");
    }

    /// At the end: every aggregation `printa()` did not print.
    pub fn print_remaining_aggregations(&mut self) {
        let snaps = self.aggs.unprinted();
        if snaps.is_empty() {
            return;
        }
        let refs: Vec<&Aggregation> = snaps.iter().collect();
        let opts = agg_options(&self.opts);
        if aggregate::print_aggregations(&mut self.buf, &refs, &opts, &self.ctx).is_err() {
            self.flush();
            crate::report::fatal(
                "failed to print aggregations: Data record list does not match statement",
            );
        }
        self.flush();
    }
}

/// How `setopt()` treats an option while tracing (DTrace's three option
/// tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionClass {
    /// Dynamic run-time options: may change while tracing.
    Dynamic,
    /// Run-time options fixed once tracing started.
    Static,
    /// Compile-time flags, which refuse any value (and `setopt()` always
    /// passes one).
    CompileFlag,
    /// Other compile-time options: accepted, to no effect.
    CompileOther,
    Unknown,
}

fn option_class(name: &str) -> OptionClass {
    const DYNAMIC: &[&str] = &[
        "agghist",
        "aggpack",
        "aggrate",
        "aggsortkey",
        "aggsortkeypos",
        "aggsortpos",
        "aggsortrev",
        "aggzoom",
        "flowindent",
        "quiet",
        "rawbytes",
        "stackindent",
        "switchrate",
    ];
    const STATIC: &[&str] = &[
        "aggsize",
        "bufsize",
        "bufpolicy",
        "bufresize",
        "cleanrate",
        "cpu",
        "destructive",
        "dynvarsize",
        "grabanon",
        "jstackframes",
        "jstackstrsize",
        "nspec",
        "specsize",
        "stackframes",
        "statusrate",
        "strsize",
        "ustackframes",
        "temporal",
    ];
    const COMPILE_FLAGS: &[&str] = &[
        "aggpercpu",
        "argref",
        "core",
        "cpp",
        "cpphdrs",
        "debug",
        "defaultargs",
        "droptags",
        "empty",
        "errtags",
        "kdefs",
        "knodefs",
        "nolibs",
        "pspec",
        "strip",
        "udefs",
        "unodefs",
        "verbose",
        "zdefs",
    ];
    const COMPILE_OTHER: &[&str] = &[
        "amin",
        "cpppath",
        "ctypes",
        "define",
        "dtypes",
        "encoding",
        "evaltime",
        "incdir",
        "iregs",
        "lazyload",
        "ldpath",
        "libdir",
        "linkmode",
        "linktype",
        "pgmax",
        "setenv",
        "stdc",
        "syslibdir",
        "tree",
        "tregs",
        "undef",
        "unsetenv",
        "version",
    ];
    if DYNAMIC.contains(&name) {
        OptionClass::Dynamic
    } else if STATIC.contains(&name) {
        OptionClass::Static
    } else if COMPILE_FLAGS.contains(&name) {
        OptionClass::CompileFlag
    } else if COMPILE_OTHER.contains(&name) {
        OptionClass::CompileOther
    } else {
        OptionClass::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_classes_follow_dtrace_tables() {
        assert_eq!(option_class("aggsortkey"), OptionClass::Dynamic);
        assert_eq!(option_class("quiet"), OptionClass::Dynamic);
        assert_eq!(option_class("bufsize"), OptionClass::Static);
        assert_eq!(option_class("zdefs"), OptionClass::CompileFlag);
        assert_eq!(option_class("cpppath"), OptionClass::CompileOther);
        assert_eq!(option_class("nosuch"), OptionClass::Unknown);
    }
}
