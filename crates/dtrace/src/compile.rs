//! The driver: from an [`Invocation`] to a compiled object, then to a
//! session.
//!
//! Order matters and follows dtrace(1): options from the command line are
//! set first; `-c`/`-p` processes are created or grabbed before compiling
//! (so `$target` is known); the programs are read, preprocessed and parsed
//! in command-line order; `#pragma D option`s take effect; probe
//! descriptions are matched; the whole program is checked and compiled;
//! then it runs.

use crate::cli::{Invocation, ProgramArg};
use crate::options::{OptError, Options};
use crate::providers::{Catalog, Probe, ProbeKind, Syscall};
use crate::report;
use crate::target::Targets;
use dtrace_compiler::btf::LazyBtf;
use dtrace_compiler::codegen::{self, GenOptions};
use dtrace_compiler::object::Object;
use dtrace_compiler::sema::{self, CheckOptions};
use dtrace_syntax::ast::{Item, Program};
use dtrace_syntax::diag::Diag;
use dtrace_syntax::source::{Origin, Source};
use dtrace_syntax::{Macros, ParseOptions, TypeNames};
use std::collections::HashMap;

/// Everything compiled, ready to run.
pub struct Compiled {
    pub object: Object,
    pub options: Options,
    pub catalog: Catalog,
}

/// The parser's view of type names: D's built-in typedefs, typedefs the
/// program declared, and (lazily) the kernel's.
struct Types<'a> {
    builtin: dtrace_compiler::types::TypeTable,
    declared: Vec<String>,
    btf: &'a LazyBtf,
}

impl TypeNames for Types<'_> {
    fn is_type_name(&self, module: Option<&str>, name: &str) -> bool {
        if module.is_none() || module == Some("D") || module == Some("C") {
            if self.builtin.typedef(name).is_some() || self.declared.iter().any(|d| d == name) {
                return true;
            }
            if module.is_some() {
                return false;
            }
        }
        // Reading the kernel's types costs milliseconds: not for `printf`.
        if module.is_none() && sema::is_builtin_function(name) {
            return false;
        }
        self.btf
            .get()
            .and_then(|b| b.find_named(dtrace_compiler::btf::Kind::Typedef, name))
            .is_some()
    }
}

fn option_message(e: OptError) -> &'static str {
    match e {
        OptError::Name => "Invalid option name",
        OptError::Value => "Invalid value for specified option",
    }
}

pub fn run(inv: Invocation) -> u8 {
    if inv.version {
        println!("dtrace: Sun D 1.12.1");
        return 0;
    }
    if inv.programs.is_empty() && !inv.list {
        report::usage(None);
        return 2;
    }
    // Like dtrace(1) opening its device: without the privileges to trace,
    // nothing else is worth doing.
    if let Err(missing) = dtrace_kernel::privilege::check_tracing_privileges() {
        report::fatal(&format!("failed to initialize dtrace: {missing}"));
        return 1;
    }
    let mut opts = Options::default();
    for (k, v) in &inv.options {
        if let Err(e) = opts.set(k, v.as_deref()) {
            report::fatal(&format!("failed to set -x {k}: {}", option_message(e)));
            return 1;
        }
    }
    let mut targets = match Targets::start(&inv) {
        Ok(t) => t,
        Err(msg) => {
            report::fatal(&msg);
            return 1;
        }
    };
    let btf = LazyBtf::vmlinux();
    let compiled = match compile(&inv, &mut opts, &targets, &btf) {
        Ok(Some(c)) => c,
        Ok(None) => return 0,
        Err(code) => {
            targets.kill();
            return code;
        }
    };
    if inv.compile_only {
        return 0;
    }
    crate::session::run(compiled, &mut targets, &inv)
}

/// Reads and parses every program; `Err(status)` after reporting.
fn compile(
    inv: &Invocation,
    opts: &mut Options,
    targets: &Targets,
    btf: &LazyBtf,
) -> Result<Option<Compiled>, u8> {
    let mut sources = Vec::new();
    for p in &inv.programs {
        match p {
            ProgramArg::Spec(kind, text) => {
                sources.push(Source::new(Origin::Spec(*kind), text.clone()))
            }
            ProgramArg::Script(path) => {
                let text = match std::fs::read(path) {
                    Ok(b) => b,
                    Err(e) => {
                        report::fatal(&format!(
                            "failed to open {path}: {}",
                            crate::report::errno_text(&e)
                        ));
                        return Err(1);
                    }
                };
                let Ok(mut text) = String::from_utf8(text) else {
                    report::fatal(&format!(
                        "failed to compile script {path}: script is not valid UTF-8 text"
                    ));
                    return Err(1);
                };
                if inv.cpp {
                    text = match dtrace_syntax::cpp::preprocess(&text, &inv.cpp_args) {
                        Ok(t) => t,
                        Err(m) => {
                            report::fatal(&format!("failed to compile script {path}: {m}"));
                            return Err(1);
                        }
                    };
                }
                sources.push(Source::new(Origin::Script(path.clone()), text));
            }
        }
    }
    let mut types = Types {
        builtin: dtrace_compiler::types::TypeTable::new(),
        declared: Vec::new(),
        btf,
    };
    let mut program = Program::default();
    for (i, src) in sources.iter().enumerate() {
        let macros = macros_for(inv, src, targets, opts.defaultargs);
        let popts = ParseOptions {
            macros: &macros,
            types: &types,
        };
        let parsed = match dtrace_syntax::parse_full(src, i as u32, &popts) {
            Ok(p) => p,
            Err(d) => return Err(fail(&d, &sources, opts)),
        };
        if let Err(mut d) = parsed.check_arguments(&macros.args, false) {
            // dtrace reports this one at the end of the program.
            if d.span.is_none() {
                let end = src.text.len() as u32;
                d.span = Some(dtrace_syntax::source::Span {
                    source: i as u32,
                    start: end,
                    end,
                });
            }
            return Err(fail(&d, &sources, opts));
        }
        types
            .declared
            .extend(dtrace_syntax::parser::typedef_names(&parsed.program));
        // `#pragma D option` takes effect in program order.
        for item in &parsed.program.items {
            if let Item::Pragma(p) = item
                && let Err(d) = apply_pragma(p, opts)
            {
                return Err(fail(&d, &sources, opts));
            }
        }
        program.items.extend(parsed.program.items);
    }
    let mut catalog = Catalog::new(&syscalls(), Box::new(read_args));
    if inv.list {
        crate::listing::list(&program, &mut catalog, inv.verbose);
        return Ok(None);
    }
    // Match probe descriptions, clause by clause.
    let mut clause_probes = Vec::new();
    let mut matched_per_source = vec![0usize; sources.len()];
    for item in &program.items {
        let Item::Clause(c) = item else { continue };
        let mut ids = Vec::new();
        for spec in &c.probes {
            let m = if spec.provider.is_empty()
                && spec.module.is_empty()
                && spec.function.is_empty()
                && !spec.name.is_empty()
                && spec.name.bytes().all(|b| b.is_ascii_digit())
            {
                spec.name
                    .parse()
                    .map(|id| catalog.by_id(id))
                    .unwrap_or_default()
            } else {
                catalog.matching(spec)
            };
            if m.is_empty() && !opts.zdefs {
                let d = Diag::new(
                    "D_PDESC_ZERO",
                    spec.span,
                    format!(
                        "probe description {}:{}:{}:{} does not match any probes",
                        spec.provider, spec.module, spec.function, spec.name
                    ),
                );
                return Err(fail(&d, &sources, opts));
            }
            if let Some(n) = matched_per_source.get_mut(spec.span.source as usize) {
                *n += m.len();
            }
            for id in m {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        clause_probes.push(ids);
    }
    // Check and generate.
    let infos: HashMap<u32, dtrace_compiler::probes::ProbeInfo> = clause_probes
        .iter()
        .flatten()
        .copied()
        .collect::<std::collections::BTreeSet<u32>>()
        .into_iter()
        .filter_map(|id| catalog.info(id).map(|i| (id, i)))
        .collect();
    let lookup = |id: u32| infos.get(&id);
    let copts = CheckOptions {
        strsize: opts.strsize,
        destructive: opts.destructive,
    };
    let line_of = |s: dtrace_syntax::source::Span| {
        sources
            .get(s.source as usize)
            .map_or(0, |src| src.line_of(s.start))
    };
    let checked =
        match sema::check_with_lines(&program, &clause_probes, &lookup, btf, &copts, &line_of) {
            Ok(c) => c,
            Err(d) => return Err(fail(&d, &sources, opts)),
        };
    let all: Vec<u32> = clause_probes.iter().flatten().copied().collect();
    let groups = catalog.groups(&all);
    let gopts = GenOptions {
        strsize: opts.strsize as u32,
        bufsize: opts.bufsize.clamp(4096, 1 << 30) as u32,
        dynvarsize: opts.dynvarsize,
        aggsize: opts.aggsize,
        stackframes: opts.stackframes,
    };
    let info_of = |id: u32| infos.get(&id).cloned();
    let error_probe = all
        .contains(&catalog.error_probe())
        .then(|| catalog.error_probe());
    let object = match codegen::generate(checked, groups, &info_of, error_probe, btf, &gopts) {
        Ok(o) => o,
        Err(d) => return Err(fail(&d, &sources, opts)),
    };
    if inv.show_code {
        for p in &object.programs {
            let names = |i: usize| {
                object
                    .maps
                    .get(i)
                    .map_or(format!("#{i}"), |m| m.name.clone())
            };
            eprintln!("\n{}:", p.name);
            eprint!(
                "{}",
                dtrace_compiler::bpf::disasm::disassemble(&p.insns, &names)
            );
        }
    }
    // "matched" notices, after a successful compile, unless quiet.
    if !opts.quiet && !inv.compile_only {
        for (i, src) in sources.iter().enumerate() {
            let n = matched_per_source[i];
            let (what, name) = match &src.origin {
                Origin::Script(path) => ("script", path.clone()),
                _ => ("description", crop_spec(&src.text)),
            };
            eprintln!(
                "dtrace: {what} '{name}' matched {n} probe{}",
                if n == 1 { "" } else { "s" }
            );
        }
    }
    Ok(Some(Compiled {
        object,
        options: opts.clone(),
        catalog,
    }))
}

/// The description as the "matched" notice shows it: cut at the first
/// `{`, `/` or `;`.
fn crop_spec(text: &str) -> String {
    match text.find(['{', '/', ';']) {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

fn fail(d: &Diag, sources: &[Source], opts: &Options) -> u8 {
    eprintln!("{}", report::compile_error(d, sources, opts.errtags));
    1
}

fn apply_pragma(p: &dtrace_syntax::ast::Pragma, opts: &mut Options) -> Result<(), Diag> {
    // words: ["D", "option", "name=value"] (the parser checked the form).
    if p.words.len() < 3 || p.words[0] != "D" || p.words[1] != "option" {
        return Ok(());
    }
    let (name, value) = match p.words[2].split_once('=') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (p.words[2].clone(), None),
    };
    opts.set(&name, value.as_deref()).map_err(|e| {
        let msg = match &value {
            Some(v) => format!(
                "failed to set option '{name}' to '{v}': {}",
                option_message(e)
            ),
            None => format!("failed to set option '{name}': {}", option_message(e)),
        };
        Diag::new("D_PRAGMA_OPTSET", p.span, msg)
    })
}

fn macros_for(inv: &Invocation, src: &Source, targets: &Targets, default_args: bool) -> Macros {
    let zero = match &src.origin {
        Origin::Script(p) => p.clone(),
        _ => std::env::args().next().unwrap_or_else(|| "dtrace".into()),
    };
    let mut args = vec![zero];
    args.extend(inv.operands.iter().cloned());
    let mut named = HashMap::new();
    let me = std::process::id();
    named.insert("pid".into(), me.to_string());
    named.insert(
        "target".into(),
        targets.first_pid().unwrap_or(0).to_string(),
    );
    for (k, v) in crate::target::self_ids() {
        named.insert(k.into(), v.to_string());
    }
    Macros {
        args,
        named,
        default_args,
    }
}

/// This kernel's syscalls: the tracefs events that exist, numbered.
fn syscalls() -> Vec<Syscall> {
    let Ok(tfs) = dtrace_kernel::Tracefs::open() else {
        return Vec::new();
    };
    let Ok(events) = tfs.available_events() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in events {
        if e.system != "syscalls" {
            continue;
        }
        let Some(ev) = e.name.strip_prefix("sys_enter_") else {
            continue;
        };
        if let Some(s) = dtrace_kernel::syscalls::by_event(ev) {
            out.push(Syscall {
                name: s.name.to_string(),
                nr: s.nr,
            });
        }
    }
    out.sort_by_key(|s| s.nr);
    out.dedup_by_key(|s| s.nr);
    out
}

/// Typed arguments of a probe (`args[]`, `-lv`): syscall arguments come
/// from the tracefs format of the syscall's tracepoints.
fn read_args(p: &Probe) -> Vec<String> {
    let (nr, entry) = match p.kind {
        ProbeKind::SyscallEntry(nr) => (nr, true),
        ProbeKind::SyscallReturn(nr) => (nr, false),
        _ => return Vec::new(),
    };
    let Some(s) = dtrace_kernel::syscalls::by_number(nr) else {
        return Vec::new();
    };
    if !entry {
        return vec!["int".into(), "int".into()];
    }
    let Ok(tfs) = dtrace_kernel::Tracefs::open() else {
        return Vec::new();
    };
    let Ok(f) = tfs.event_format("syscalls", &format!("sys_enter_{}", s.event)) else {
        return Vec::new();
    };
    f.fields
        .iter()
        .filter(|f| !f.is_common() && f.name != "__syscall_nr")
        .map(|f| f.c_type.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_notice_crops_the_spec() {
        assert_eq!(crop_spec("BEGIN { exit(0); }"), "BEGIN ");
        assert_eq!(
            crop_spec("syscall::read:entry/pid == 1/{}"),
            "syscall::read:entry"
        );
        assert_eq!(crop_spec("BEGIN"), "BEGIN");
    }
}
