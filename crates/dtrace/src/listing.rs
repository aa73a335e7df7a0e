//! `dtrace -l`: the probe listing, and `-lv` with stability and argument
//! types.

use crate::providers::{Catalog, stability};
use dtrace_syntax::ast::{Item, Program};
use std::io::Write;

pub fn list(program: &Program, catalog: &mut Catalog, verbose: bool) {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let _ = writeln!(
        out,
        "{:>5} {:>10} {:>17} {:>33} NAME",
        "ID", "PROVIDER", "MODULE", "FUNCTION"
    );
    let specs: Vec<_> = program
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Clause(c) => Some(c.probes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let ids: Vec<Vec<u32>> = if specs.is_empty() {
        vec![catalog.all().iter().map(|p| p.id).collect()]
    } else {
        specs
            .iter()
            .map(|s| {
                let m = if s.provider.is_empty()
                    && s.module.is_empty()
                    && s.function.is_empty()
                    && !s.name.is_empty()
                    && s.name.bytes().all(|b| b.is_ascii_digit())
                {
                    s.name
                        .parse()
                        .map(|id| catalog.by_id(id))
                        .unwrap_or_default()
                } else {
                    catalog.matching(s)
                };
                if m.is_empty() {
                    let _ = out.flush();
                    eprintln!(
                        "dtrace: failed to match {}:{}:{}:{}: No probe matches description",
                        s.provider, s.module, s.function, s.name
                    );
                }
                m
            })
            .collect()
    };
    for group in ids {
        for id in group {
            let Some(p) = catalog.get(id).cloned() else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:>5} {:>10} {:>17} {:>33} {}",
                p.id, p.provider, p.module, p.function, p.name
            );
            if verbose {
                let args = catalog.args(id);
                let _ = out.write_all(probe_info(&p.provider, &args).as_bytes());
            }
        }
    }
    let _ = out.flush();
}

/// The `-v` block printed after a probe: attributes and argument types.
pub fn probe_info(provider: &str, args: &[String]) -> String {
    let a = stability::of(provider);
    let desc = a.provider.min(a.module).min(a.function).min(a.name);
    let mut s = String::new();
    s.push_str("\n\tProbe Description Attributes\n");
    push_attr(&mut s, desc);
    s.push_str("\n\tArgument Attributes\n");
    push_attr(&mut s, a.args);
    s.push_str("\n\tArgument Types\n");
    if args.is_empty() {
        s.push_str("\t\tNone\n");
    }
    for (i, t) in args.iter().enumerate() {
        s.push_str(&format!("\t\targs[{i}]: {t}\n"));
    }
    s.push('\n');
    s
}

pub fn push_attr(s: &mut String, a: stability::Attr) {
    s.push_str(&format!("\t\tIdentifier Names: {}\n", a.name.name()));
    s.push_str(&format!("\t\tData Semantics:   {}\n", a.data.name()));
    s.push_str(&format!("\t\tDependency Class: {}\n", a.class.name()));
}
