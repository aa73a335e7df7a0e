//! A tracing session: the compiled object made real in the kernel, and the
//! loop that runs it from BEGIN to END.
//!
//! Set-up follows the object's contract (see `dtrace_compiler::object`):
//! maps are created in object order (instructions name maps by index), the
//! read-only data is written once and frozen, the globals map is mapped into
//! our memory so that the session state and the wake-up flag cost no system
//! call, and every probe group's program is loaded and attached.
//!
//! The life cycle mirrors dtrace(1). BEGIN runs (by `BPF_PROG_TEST_RUN`)
//! while the state is WARMUP; the state then moves to ACTIVE, `-c` commands
//! are released, and records are consumed until `exit()`, a signal, or the
//! last target process ends. Then the state moves to DRAINING, END runs,
//! the remaining records are consumed, a newline is printed and any
//! aggregation not yet printed is printed.

use crate::cli::Invocation;
use crate::compile::Compiled;
use crate::consume::{Consumer, KernelAggs};
use crate::providers::ProbeKind;
use crate::report;
use crate::target::Targets;
use dtrace_compiler::object::{
    self, MapKind as OMapKind, MapRole, Object, counter, globals, state,
};
use dtrace_compiler::probes::{ProbeGroup, ProgKind as OProgKind};
use dtrace_kernel::process::{Poller, SignalFd, monotonic_ns};
use dtrace_kernel::{
    Link, Map, MapKind, MapSpec, MappedArray, PerfEvent, ProgKind, ProgSpec, Program, RingBuf,
};
use std::io::Write;
use std::os::fd::AsFd;
use std::time::Duration;

/// Everything the kernel holds for one session.
struct Loaded {
    globals: MappedArray,
    /// The program of each probe group, by group index.
    programs: Vec<Option<Program>>,
    links: Vec<Link>,
}

/// Poller tokens.
const TOKEN_RING: u64 = 1;
const TOKEN_SIGNAL: u64 = 2;
const TOKEN_TARGET: u64 = 100;

pub fn run(c: Compiled, targets: &mut Targets, inv: &Invocation) -> u8 {
    match run_inner(c, targets, inv) {
        Ok(code) => code,
        Err(msg) => {
            report::fatal(&msg);
            targets.kill();
            1
        }
    }
}

fn run_inner(c: Compiled, targets: &mut Targets, inv: &Invocation) -> Result<u8, String> {
    let Compiled {
        object,
        options,
        catalog,
    } = c;
    let _ = dtrace_kernel::privilege::raise_memlock_limit();
    if object.needs_destructive && !options.destructive {
        return Err("could not enable tracing: Destructive actions not allowed".into());
    }
    let (maps, mut loaded) = load(&object)?;
    let ring_map = object
        .map_index(MapRole::Records)
        .and_then(|i| maps.get(i))
        .ok_or("internal error: no record buffer")?;
    let mut ring = RingBuf::new(ring_map).map_err(|e| format!("could not enable tracing: {e}"))?;

    // Output goes to stdout or, with -o, is appended to a file.
    let out: Box<dyn Write> = match &inv.output {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| {
                    format!(
                        "failed to open output file '{path}': {}",
                        report::errno_text(&e)
                    )
                })?;
            Box::new(std::io::BufWriter::new(f))
        }
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    };
    let aggs = KernelAggs::new(&object, &maps);
    let target = targets.first_pid().unwrap_or(0) as u64;
    let mut consumer = Consumer::new(&object, &catalog, &options, out, aggs, target);

    // Signals become readable descriptors; block them before anything
    // else can be interrupted.
    let signals = SignalFd::new(&[libc::SIGINT, libc::SIGTERM])
        .map_err(|e| format!("failed to set up signals: {e}"))?;
    let poller = Poller::new().map_err(|e| format!("failed to set up event loop: {e}"))?;
    let _ = poller.add(ring.as_fd(), TOKEN_RING);
    let _ = poller.add(signals.as_fd(), TOKEN_SIGNAL);
    for (i, t) in targets.list.iter().enumerate() {
        if let Some(fd) = &t.pidfd {
            let _ = poller.add(fd.as_fd(), TOKEN_TARGET + i as u64);
        }
    }

    // Enable: attach everything (nothing records before ACTIVE), then BEGIN.
    set_state(&loaded.globals, state::WARMUP);
    attach(&object, &catalog, &mut loaded)?;
    if options.destructive && !options.quiet {
        eprintln!("dtrace: allowing destructive actions");
    }
    run_probe_kind(&object, &catalog, &loaded, |k| {
        matches!(k, ProbeKind::Begin)
    });
    consumer.drain(&mut ring);
    if get_state(&loaded.globals) == state::WARMUP {
        set_state(&loaded.globals, state::ACTIVE);
    }
    targets.release();

    let ticks: Vec<(usize, u64)> = object
        .groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| match group_kind(&catalog, g)? {
            ProbeKind::Tick(ns) => Some((i, ns)),
            _ => None,
        })
        .collect();
    let start = monotonic_ns();
    let mut next_tick: Vec<u64> = ticks.iter().map(|&(_, ns)| start + ns).collect();
    let mut next_status = start + options.statusrate_ns.max(1_000_000);
    let mut interrupted = false;
    let mut impatient = false;
    let mut newline = false;
    let mut status = DropCounts::default();

    loop {
        let mut done = consumer.exit_status().is_some()
            || get_state(&loaded.globals) >= state::DRAINING
            || interrupted
            || (!targets.is_empty() && !targets.any_alive());
        if !done {
            let now = monotonic_ns();
            let deadline = next_tick
                .iter()
                .copied()
                .chain([next_status])
                .min()
                .unwrap_or(next_status);
            let wait = Duration::from_nanos(deadline.saturating_sub(now));
            // Ask to be woken by the next record, then look once more so a
            // record written just before the flag was set is not left
            // waiting for the timeout.
            loaded
                .globals
                .store_u32(globals::CONSUMER_SLEEPING as usize, 1)
                .ok();
            let ready = if ring.is_empty() {
                poller.wait(Some(wait)).unwrap_or_default()
            } else {
                vec![TOKEN_RING]
            };
            loaded
                .globals
                .store_u32(globals::CONSUMER_SLEEPING as usize, 0)
                .ok();
            for token in ready {
                if token == TOKEN_SIGNAL {
                    while let Ok(Some(_)) = signals.read() {
                        if interrupted {
                            impatient = true;
                        } else {
                            interrupted = true;
                            newline = true;
                        }
                    }
                } else if token >= TOKEN_TARGET {
                    let i = (token - TOKEN_TARGET) as usize;
                    if let Some(fd) = targets.list.get(i).and_then(|t| t.pidfd.as_ref()) {
                        let _ = poller.remove(fd.as_fd());
                    }
                    if let Some(notice) = targets.reap(i) {
                        consumer.flush();
                        if !options.quiet {
                            eprintln!("dtrace: {notice}");
                        }
                    }
                }
            }
            let now = monotonic_ns();
            for (k, &(group, period)) in ticks.iter().enumerate() {
                if now >= next_tick[k] {
                    if let Some(Some(p)) = loaded.programs.get(group) {
                        let _ = p.test_run_args(&[0; 11], None);
                    }
                    // Skip missed ticks rather than firing a burst.
                    next_tick[k] += period * (1 + (now - next_tick[k]) / period);
                }
            }
            if now >= next_status {
                status.report(&object, &maps, &mut consumer);
                next_status = now + options.statusrate_ns.max(1_000_000);
            }
        }
        if newline {
            consumer.write_raw(b"\n");
            newline = false;
        }
        consumer.drain(&mut ring);
        if impatient {
            break;
        }
        done = done
            || consumer.exit_status().is_some()
            || get_state(&loaded.globals) >= state::DRAINING
            || interrupted
            || (!targets.is_empty() && !targets.any_alive());
        if done {
            break;
        }
    }

    // Stop: no probe records once the state leaves ACTIVE; END runs.
    if get_state(&loaded.globals) < state::DRAINING {
        set_state(&loaded.globals, state::DRAINING);
    }
    if !impatient {
        run_probe_kind(&object, &catalog, &loaded, |k| matches!(k, ProbeKind::End));
    }
    set_state(&loaded.globals, state::STOPPED);
    let links = std::mem::take(&mut loaded.links);
    dtrace_kernel::link::detach_all(links);
    if !impatient {
        consumer.drain(&mut ring);
    }
    status.report(&object, &maps, &mut consumer);
    if !impatient {
        consumer.write_raw(b"\n");
        consumer.print_remaining_aggregations();
    }
    consumer.flush();
    targets.kill_created_if_alive();
    Ok(consumer.exit_status().unwrap_or(0))
}

/// How a group's probes fire: every probe of a group is of one kind.
fn group_kind(catalog: &crate::providers::Catalog, g: &ProbeGroup) -> Option<ProbeKind> {
    g.probes
        .first()
        .and_then(|&id| catalog.get(id))
        .map(|p| p.kind)
}

fn get_state(g: &MappedArray) -> u32 {
    g.load_u32(globals::STATE as usize)
        .unwrap_or(state::STOPPED)
}

fn set_state(g: &MappedArray, s: u32) {
    let _ = g.store_u32(globals::STATE as usize, s);
}

/// Runs the programs of probes that the consumer fires itself (BEGIN,
/// END): the context is `[slot, arg0..arg9]`, all zero.
fn run_probe_kind(
    object: &Object,
    catalog: &crate::providers::Catalog,
    loaded: &Loaded,
    want: impl Fn(ProbeKind) -> bool,
) {
    for (i, g) in object.groups.iter().enumerate() {
        let Some(kind) = group_kind(catalog, g) else {
            continue;
        };
        if want(kind)
            && let Some(Some(p)) = loaded.programs.get(i)
        {
            let _ = p.test_run_args(&[0; 11], None);
        }
    }
}

/// Creates the maps and loads the programs.
fn load(object: &Object) -> Result<(Vec<Map>, Loaded), String> {
    let ncpus = dtrace_kernel::cpus::possible_cpu_count()
        .unwrap_or(1)
        .max(1) as u32;
    let mut maps = Vec::with_capacity(object.maps.len());
    for def in &object.maps {
        let kind = match def.kind {
            OMapKind::Array => MapKind::Array,
            OMapKind::PercpuArray => MapKind::PercpuArray,
            OMapKind::Hash => MapKind::Hash,
            OMapKind::PercpuHash => MapKind::PercpuHash,
            OMapKind::RingBuf => MapKind::RingBuf,
        };
        let name: String = def
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(15)
            .collect();
        let spec = MapSpec {
            kind,
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: if def.max_entries == 0 {
                ncpus
            } else {
                def.max_entries
            },
            flags: if def.mmapable {
                dtrace_kernel::map::flags::MMAPABLE
            } else {
                0
            },
            name: &name,
        };
        let map = Map::create(&spec).map_err(|e| format!("could not enable tracing: {e}"))?;
        maps.push(map);
    }
    let idx = |role| {
        object
            .map_index(role)
            .ok_or_else(|| "internal error: missing map".to_string())
    };
    // Read-only data: written once, then frozen.
    let ro = &maps[idx(MapRole::Rodata)?];
    if !object.rodata.is_empty() {
        let mut value = object.rodata.clone();
        value.resize(ro.value_size(), 0);
        ro.update(&0u32.to_le_bytes(), &value, dtrace_kernel::UpdateMode::Any)
            .map_err(|e| format!("could not enable tracing: {e}"))?;
    }
    let _ = ro.freeze();
    let globals = maps[idx(MapRole::Globals)?]
        .mmap(true)
        .map_err(|e| format!("could not enable tracing: {e}"))?;
    // Wall-clock time = boot-relative time + this offset.
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let _ = globals.store_u64(
        globals::WALL_OFFSET as usize,
        real.wrapping_sub(monotonic_ns() as i64) as u64,
    );
    let mut programs = Vec::with_capacity(object.groups.len());
    for p in &object.programs {
        let mut words = Vec::with_capacity(p.insns.len());
        for insn in &p.insns {
            let mut i = *insn;
            // The compiler names maps by index; the kernel wants descriptors.
            if let Some(m) = insn.map_index() {
                let fd = maps.get(m).ok_or("internal error: bad map reference")?;
                i.imm = std::os::fd::AsRawFd::as_raw_fd(fd);
            }
            words.push(i.encode());
        }
        let kind = match p_kind(object, p.group) {
            OProgKind::RawTracepoint => ProgKind::RawTracepoint,
            OProgKind::PerfEvent => ProgKind::PerfEvent,
            OProgKind::Kprobe => ProgKind::Kprobe,
            OProgKind::Tracepoint => ProgKind::Tracepoint,
        };
        let spec = ProgSpec::new(kind, &p.name, &words);
        let prog = Program::load(&spec).map_err(|e| load_error(&p.name, &e))?;
        while programs.len() <= p.group {
            programs.push(None);
        }
        programs[p.group] = Some(prog);
    }
    Ok((
        maps,
        Loaded {
            globals,
            programs,
            links: Vec::new(),
        },
    ))
}

fn p_kind(object: &Object, group: usize) -> OProgKind {
    object
        .groups
        .get(group)
        .map_or(OProgKind::RawTracepoint, |g| g.kind)
}

/// A program the kernel rejects is a compiler bug: say so, with the
/// verifier's reasoning (its last lines hold the verdict).
fn load_error(name: &str, e: &dtrace_kernel::Error) -> String {
    let mut msg = format!("failed to enable '{name}': the kernel rejected the generated program");
    if let Some(log) = e.verifier_log() {
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(25)..];
        msg.push_str(":\n");
        msg.push_str(&tail.join("\n"));
    } else {
        msg.push_str(&format!(": {e}"));
    }
    msg
}

fn attach(
    object: &Object,
    catalog: &crate::providers::Catalog,
    loaded: &mut Loaded,
) -> Result<(), String> {
    let cpus = dtrace_kernel::cpus::online_cpus().unwrap_or_else(|_| vec![0]);
    for (i, g) in object.groups.iter().enumerate() {
        let Some(Some(prog)) = loaded.programs.get(i) else {
            continue;
        };
        let Some(kind) = group_kind(catalog, g) else {
            continue;
        };
        match kind {
            ProbeKind::SyscallEntry(_) => {
                let l = Link::raw_tracepoint(prog, "sys_enter")
                    .map_err(|e| format!("could not enable tracing: {e}"))?;
                loaded.links.push(l);
            }
            ProbeKind::SyscallReturn(_) => {
                let l = Link::raw_tracepoint(prog, "sys_exit")
                    .map_err(|e| format!("could not enable tracing: {e}"))?;
                loaded.links.push(l);
            }
            ProbeKind::Profile(ns) => {
                for &cpu in &cpus {
                    let ev = PerfEvent::cpu_clock(cpu, ns)
                        .map_err(|e| format!("could not enable tracing: {e}"))?;
                    let l = ev
                        .attach(prog, 0)
                        .map_err(|e| format!("could not enable tracing: {e}"))?;
                    loaded.links.push(l);
                }
            }
            ProbeKind::Begin | ProbeKind::End | ProbeKind::Error | ProbeKind::Tick(_) => {}
        }
    }
    Ok(())
}

/// Drop counters as last reported, so that each report gives the increase.
#[derive(Default)]
struct DropCounts {
    per_cpu: Vec<[u64; object::counter::COUNT as usize]>,
}

impl DropCounts {
    fn report(&mut self, object: &Object, maps: &[Map], consumer: &mut Consumer<'_>) {
        let Some(map) = object
            .map_index(MapRole::Counters)
            .and_then(|i| maps.get(i))
        else {
            return;
        };
        let mut buf = vec![0u8; map.value_len()];
        if !matches!(map.lookup(&0u32.to_le_bytes(), &mut buf), Ok(true)) {
            return;
        }
        let slots: Vec<[u64; counter::COUNT as usize]> =
            dtrace_kernel::map::split_percpu(&buf, map.value_size())
                .map(|v| {
                    let mut c = [0u64; counter::COUNT as usize];
                    for (k, w) in c.iter_mut().enumerate() {
                        let b = v.get(k * 8..k * 8 + 8).unwrap_or(&[0; 8]);
                        *w = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                    }
                    c
                })
                .collect();
        self.per_cpu
            .resize(slots.len(), [0; counter::COUNT as usize]);
        let mut messages = Vec::new();
        let mut dynvar = 0;
        let mut dbl = 0;
        for (cpu, now) in slots.iter().enumerate() {
            let before = self.per_cpu[cpu];
            let d = now[counter::DROPS as usize].saturating_sub(before[counter::DROPS as usize]);
            if d > 0 {
                messages.push(format!("{d} drop{} on CPU {cpu}", plural(d)));
            }
            let a = now[counter::AGG_DROPS as usize]
                .saturating_sub(before[counter::AGG_DROPS as usize]);
            if a > 0 {
                messages.push(format!("{a} aggregation drop{} on CPU {cpu}", plural(a)));
            }
            dynvar += now[counter::DYNVAR_DROPS as usize]
                .saturating_sub(before[counter::DYNVAR_DROPS as usize]);
            dbl += now[counter::ERROR_ERRORS as usize]
                .saturating_sub(before[counter::ERROR_ERRORS as usize]);
            self.per_cpu[cpu] = *now;
        }
        if dynvar > 0 {
            messages.push(format!("{dynvar} dynamic variable drop{}", plural(dynvar)));
        }
        if dbl > 0 {
            messages.push(format!(
                "{dbl} error{} in ERROR probe enabling",
                plural(dbl)
            ));
        }
        if !messages.is_empty() {
            consumer.flush();
            for m in messages {
                eprintln!("dtrace: {m}");
            }
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
