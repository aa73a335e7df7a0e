//! Providers and the probe catalog.
//!
//! A provider publishes probes and knows how to make them fire. The
//! [`Catalog`] numbers every probe of every provider (ids are stable within
//! one run, as in DTrace on Linux), matches probe descriptions against them,
//! and groups matched probes into the BPF programs that implement them
//! ([`Catalog::groups`]).
//!
//! Enumeration is cheap by construction: `dtrace` and `profile` are fixed
//! lists, and `syscall` is one directory listing; per-probe details that
//! cost I/O (argument types) are read only for probes a program uses.

pub mod glob;
pub mod stability;

use dtrace_compiler::probes::{ContextLayout, ProbeGroup, ProbeInfo, ProgKind, RunsIn, Selector};
use dtrace_syntax::ast::ProbeSpec;
use std::collections::HashMap;

/// How a probe is made to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Begin,
    End,
    Error,
    SyscallEntry(u32),
    SyscallReturn(u32),
    /// `profile-N`: every CPU, every `period` nanoseconds of CPU time.
    Profile(u64),
    /// `tick-N`: one CPU, every `period` nanoseconds.
    Tick(u64),
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub id: u32,
    pub provider: String,
    pub module: String,
    pub function: String,
    pub name: String,
    pub kind: ProbeKind,
}

impl Probe {
    pub fn info(&self, args: Vec<String>) -> ProbeInfo {
        ProbeInfo {
            id: self.id,
            provider: self.provider.clone(),
            module: self.module.clone(),
            function: self.function.clone(),
            name: self.name.clone(),
            args,
        }
    }
}

/// A syscall known to the kernel: its name and number.
#[derive(Debug, Clone)]
pub struct Syscall {
    pub name: String,
    pub nr: u32,
}

/// Reads a probe's typed arguments (I/O, so only on demand).
pub type ArgReader = Box<dyn Fn(&Probe) -> Vec<String>>;

pub struct Catalog {
    probes: Vec<Probe>,
    by_desc: HashMap<(String, String), u32>,
    /// Typed argument lists, read on demand.
    args: HashMap<u32, Vec<String>>,
    arg_reader: ArgReader,
}

/// Profile probes listed without being asked for, as DTrace lists them.
const PROFILE_RATES: &[u64] = &[97, 199, 499, 997, 1999, 4001, 4999];
const TICK_RATES: &[u64] = &[1, 10, 100, 500, 1000, 5000];

/// The shortest profile interval DTrace allows (200 µs).
const MIN_PROFILE_NS: u64 = 200_000;

impl Catalog {
    /// Builds the catalog from the syscalls this kernel has.
    pub fn new(syscalls: &[Syscall], arg_reader: ArgReader) -> Catalog {
        let mut c = Catalog {
            probes: Vec::new(),
            by_desc: HashMap::new(),
            args: HashMap::new(),
            arg_reader,
        };
        c.add("dtrace", "", "", "BEGIN", ProbeKind::Begin);
        c.add("dtrace", "", "", "END", ProbeKind::End);
        c.add("dtrace", "", "", "ERROR", ProbeKind::Error);
        for &hz in PROFILE_RATES {
            c.add(
                "profile",
                "",
                "",
                &format!("profile-{hz}"),
                ProbeKind::Profile(1_000_000_000 / hz),
            );
        }
        for &hz in TICK_RATES {
            c.add(
                "profile",
                "",
                "",
                &format!("tick-{hz}"),
                ProbeKind::Tick(1_000_000_000 / hz),
            );
        }
        let mut sorted: Vec<&Syscall> = syscalls.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for s in sorted {
            c.add(
                "syscall",
                "",
                &s.name,
                "entry",
                ProbeKind::SyscallEntry(s.nr),
            );
            c.add(
                "syscall",
                "",
                &s.name,
                "return",
                ProbeKind::SyscallReturn(s.nr),
            );
        }
        c
    }

    fn add(
        &mut self,
        provider: &str,
        module: &str,
        function: &str,
        name: &str,
        kind: ProbeKind,
    ) -> u32 {
        let id = self.probes.len() as u32 + 1;
        self.probes.push(Probe {
            id,
            provider: provider.into(),
            module: module.into(),
            function: function.into(),
            name: name.into(),
            kind,
        });
        self.by_desc
            .insert((provider.to_string(), format!("{function}:{name}")), id);
        id
    }

    pub fn get(&self, id: u32) -> Option<&Probe> {
        id.checked_sub(1).and_then(|i| self.probes.get(i as usize))
    }

    pub fn all(&self) -> &[Probe] {
        &self.probes
    }

    /// Probes matching a description, in id order. A profile or tick probe
    /// named exactly (`tick-2s`, `profile-1234hz`) is created on demand.
    pub fn matching(&mut self, spec: &ProbeSpec) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .probes
            .iter()
            .filter(|p| {
                glob::matches(&spec.provider, &p.provider)
                    && glob::matches(&spec.module, &p.module)
                    && glob::matches(&spec.function, &p.function)
                    && glob::matches(&spec.name, &p.name)
            })
            .map(|p| p.id)
            .collect();
        if out.is_empty()
            && !glob::is_glob(&spec.name)
            && glob::matches(&spec.provider, "profile")
            && spec.module.is_empty()
            && spec.function.is_empty()
            && let Some(kind) = parse_profile_name(&spec.name)
        {
            out.push(self.add("profile", "", "", &spec.name, kind));
        }
        out
    }

    /// Matches a numeric probe id (`-i`).
    pub fn by_id(&self, id: u32) -> Vec<u32> {
        self.get(id).map(|p| vec![p.id]).unwrap_or_default()
    }

    /// The argument types of a probe, read once.
    pub fn args(&mut self, id: u32) -> Vec<String> {
        if let Some(a) = self.args.get(&id) {
            return a.clone();
        }
        let a = match self.get(id) {
            Some(p) => (self.arg_reader)(p),
            None => Vec::new(),
        };
        self.args.insert(id, a.clone());
        a
    }

    pub fn info(&mut self, id: u32) -> Option<ProbeInfo> {
        let args = self.args(id);
        self.get(id).map(|p| p.info(args))
    }

    /// Groups probes into BPF programs: BEGIN and END each run by
    /// `BPF_PROG_TEST_RUN`; all syscall entries share one program on
    /// `raw_syscalls:sys_enter` (likewise returns), selected by syscall
    /// number, because raw tracepoints attach and detach in milliseconds;
    /// each profile rate is one program on per-CPU perf events; each tick
    /// rate one program fired by the consumer's timer.
    pub fn groups(&self, ids: &[u32]) -> Vec<ProbeGroup> {
        let mut groups = Vec::new();
        let mut entries = (Vec::new(), Vec::new());
        let mut returns = (Vec::new(), Vec::new());
        let mut sorted: Vec<u32> = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for id in sorted {
            let Some(p) = self.get(id) else { continue };
            let single = |name: &str, kind, context, runs_in| ProbeGroup {
                name: name.to_string(),
                kind,
                context,
                selector: Selector::Single,
                probes: vec![id],
                keys: vec![],
                runs_in,
            };
            let test_run_args = ContextLayout::RawArgs { first: 1, count: 0 };
            match p.kind {
                ProbeKind::Begin => groups.push(single(
                    "dt_begin",
                    ProgKind::RawTracepoint,
                    test_run_args,
                    RunsIn::Begin,
                )),
                ProbeKind::End => groups.push(single(
                    "dt_end",
                    ProgKind::RawTracepoint,
                    test_run_args,
                    RunsIn::End,
                )),
                ProbeKind::Error => {}
                ProbeKind::SyscallEntry(nr) => {
                    entries.0.push(id);
                    entries.1.push(nr as u64);
                }
                ProbeKind::SyscallReturn(nr) => {
                    returns.0.push(id);
                    returns.1.push(nr as u64);
                }
                ProbeKind::Profile(_) => groups.push(single(
                    &format!("dt_{}", p.name.replace('-', "_")),
                    ProgKind::PerfEvent,
                    ContextLayout::ProfileRegs,
                    RunsIn::Active,
                )),
                ProbeKind::Tick(_) => groups.push(single(
                    &format!("dt_{}", p.name.replace('-', "_")),
                    ProgKind::RawTracepoint,
                    test_run_args,
                    RunsIn::Active,
                )),
            }
        }
        for (name, (probes, keys), ctx) in [
            ("dt_sys_enter", entries, ContextLayout::SyscallEntry),
            ("dt_sys_exit", returns, ContextLayout::SyscallExit),
        ] {
            if probes.is_empty() {
                continue;
            }
            groups.push(ProbeGroup {
                name: name.into(),
                kind: ProgKind::RawTracepoint,
                context: ctx,
                selector: Selector::SyscallNr,
                probes,
                keys,
                runs_in: RunsIn::Active,
            });
        }
        groups
    }

    pub fn error_probe(&self) -> u32 {
        3
    }
}

/// `profile-97`, `profile-10ms`, `tick-1sec`, `tick-100hz`: the period in
/// nanoseconds (a bare number is a frequency).
pub fn parse_profile_name(name: &str) -> Option<ProbeKind> {
    let (tick, rest) = if let Some(r) = name.strip_prefix("profile-") {
        (false, r)
    } else if let Some(r) = name.strip_prefix("tick-") {
        (true, r)
    } else {
        return None;
    };
    let split = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (num, unit) = rest.split_at(split);
    let n: u64 = num.parse().ok().filter(|&n| n > 0)?;
    let ns = match unit {
        "" | "hz" => 1_000_000_000 / n,
        "ns" | "nsec" => n,
        "us" | "usec" => n.checked_mul(1_000)?,
        "ms" | "msec" => n.checked_mul(1_000_000)?,
        "s" | "sec" => n.checked_mul(1_000_000_000)?,
        "m" | "min" => n.checked_mul(60_000_000_000)?,
        "h" | "hour" => n.checked_mul(3_600_000_000_000)?,
        "d" | "day" => n.checked_mul(86_400_000_000_000)?,
        _ => return None,
    };
    let ns = ns.max(MIN_PROFILE_NS);
    Some(if tick {
        ProbeKind::Tick(ns)
    } else {
        ProbeKind::Profile(ns)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: &str, m: &str, f: &str, n: &str) -> ProbeSpec {
        ProbeSpec {
            text: String::new(),
            provider: p.into(),
            module: m.into(),
            function: f.into(),
            name: n.into(),
            span: Default::default(),
        }
    }

    fn catalog() -> Catalog {
        let sys = vec![
            Syscall {
                name: "read".into(),
                nr: 0,
            },
            Syscall {
                name: "getppid".into(),
                nr: 110,
            },
        ];
        Catalog::new(&sys, Box::new(|_| Vec::new()))
    }

    #[test]
    fn matches_and_creates_profile_probes() {
        let mut c = catalog();
        assert_eq!(c.matching(&spec("", "", "", "BEGIN")), vec![1]);
        assert_eq!(c.matching(&spec("syscall", "", "", "")).len(), 4);
        assert_eq!(c.matching(&spec("syscall", "", "read", "entry")).len(), 1);
        let t = c.matching(&spec("", "", "", "tick-2s"));
        assert_eq!(t.len(), 1);
        assert_eq!(c.get(t[0]).unwrap().kind, ProbeKind::Tick(2_000_000_000));
        assert!(c.matching(&spec("", "", "", "tick-2x")).is_empty());
    }

    #[test]
    fn syscalls_share_one_program_per_direction() {
        let mut c = catalog();
        let ids = c.matching(&spec("syscall", "", "", ""));
        let g = c.groups(&ids);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].probes.len(), 2);
    }

    #[test]
    fn profile_names() {
        assert_eq!(
            parse_profile_name("profile-97"),
            Some(ProbeKind::Profile(1_000_000_000 / 97))
        );
        assert_eq!(
            parse_profile_name("tick-1sec"),
            Some(ProbeKind::Tick(1_000_000_000))
        );
        assert_eq!(
            parse_profile_name("tick-10ms"),
            Some(ProbeKind::Tick(10_000_000))
        );
        assert_eq!(
            parse_profile_name("profile-1ns"),
            Some(ProbeKind::Profile(200_000))
        );
        assert_eq!(parse_profile_name("tick-"), None);
    }
}
