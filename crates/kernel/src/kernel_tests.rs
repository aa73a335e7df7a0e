//! Tests against the running kernel. They need root (or CAP_BPF + CAP_PERFMON); without it they
//! print why they skip, unless `DTRACE_REQUIRE_KERNEL=1`, which turns a skip into a failure.
//!
//! Programs are hand-assembled with the few encoders below; the real encoder lives in the
//! compiler.

use std::ops::ControlFlow;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::info;
use crate::link::{self, Link, UprobeMultiSpec};
use crate::map::{self, Map, MapKind, MapSpec, UpdateMode, flags};
use crate::perf::{PerfEvent, UprobeOptions};
use crate::prog::{ProgKind, ProgSpec, Program};
use crate::ringbuf::RingBuf;
use crate::{Btf, Tracefs, cpus, features};

/// Whether kernel tests can run here; panics instead of skipping under DTRACE_REQUIRE_KERNEL=1.
fn kernel_available(test: &str) -> bool {
    let reason = match features::check_bpf() {
        Ok(()) => return true,
        Err(err) => err.to_string(),
    };
    if std::env::var("DTRACE_REQUIRE_KERNEL").is_ok_and(|v| v == "1") {
        panic!("{test}: kernel required (DTRACE_REQUIRE_KERNEL=1) but unavailable: {reason}");
    }
    eprintln!("{test}: skipped: BPF unavailable: {reason}");
    false
}

macro_rules! require_kernel {
    ($name:expr) => {
        if !kernel_available($name) {
            return;
        }
    };
}

/// Minimal instruction encoders (native byte order, as `struct bpf_insn`).
mod asm {
    pub const R0: u8 = 0;
    pub const R1: u8 = 1;
    pub const R2: u8 = 2;
    pub const R3: u8 = 3;
    pub const R4: u8 = 4;
    pub const R6: u8 = 6;
    pub const R7: u8 = 7;
    pub const R10: u8 = 10;

    pub const MAP_LOOKUP_ELEM: i32 = 1;
    pub const RINGBUF_OUTPUT: i32 = 130;
    pub const RINGBUF_RESERVE: i32 = 131;
    pub const RINGBUF_SUBMIT: i32 = 132;
    pub const RINGBUF_DISCARD: i32 = 133;

    pub fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
        let regs = if cfg!(target_endian = "little") {
            dst | (src << 4)
        } else {
            (dst << 4) | src
        };
        let mut b = [0u8; 8];
        b[0] = code;
        b[1] = regs;
        b[2..4].copy_from_slice(&off.to_ne_bytes());
        b[4..8].copy_from_slice(&imm.to_ne_bytes());
        u64::from_ne_bytes(b)
    }
    pub fn mov64_imm(dst: u8, imm: i32) -> u64 {
        insn(0xb7, dst, 0, 0, imm)
    }
    pub fn mov64_reg(dst: u8, src: u8) -> u64 {
        insn(0xbf, dst, src, 0, 0)
    }
    pub fn add64_imm(dst: u8, imm: i32) -> u64 {
        insn(0x07, dst, 0, 0, imm)
    }
    pub fn ldx_dw(dst: u8, src: u8, off: i16) -> u64 {
        insn(0x79, dst, src, off, 0)
    }
    pub fn stx_dw(dst: u8, src: u8, off: i16) -> u64 {
        insn(0x7b, dst, src, off, 0)
    }
    pub fn st_dw(dst: u8, off: i16, imm: i32) -> u64 {
        insn(0x7a, dst, 0, off, imm)
    }
    pub fn st_w(dst: u8, off: i16, imm: i32) -> u64 {
        insn(0x62, dst, 0, off, imm)
    }
    /// `lock *(u64 *)(dst + off) += src`.
    pub fn atomic_add_dw(dst: u8, src: u8, off: i16) -> u64 {
        insn(0xdb, dst, src, off, 0)
    }
    pub fn jeq_imm(dst: u8, imm: i32, off: i16) -> u64 {
        insn(0x15, dst, 0, off, imm)
    }
    /// Unsigned `if dst < imm goto +off`.
    pub fn jlt_imm(dst: u8, imm: i32, off: i16) -> u64 {
        insn(0xa5, dst, 0, off, imm)
    }
    pub fn call(helper: i32) -> u64 {
        insn(0x85, 0, 0, 0, helper)
    }
    /// A BPF-to-BPF call to `pc + 1 + rel`.
    pub fn call_local(rel: i32) -> u64 {
        insn(0x85, 0, 1, 0, rel)
    }
    pub fn exit() -> u64 {
        insn(0x95, 0, 0, 0, 0)
    }
    pub fn ld_map_fd(dst: u8, fd: i32) -> [u64; 2] {
        [insn(0x18, dst, 1, 0, fd), insn(0, 0, 0, 0, 0)]
    }
}
use asm::*;

fn return_const(value: i32) -> Vec<u64> {
    vec![mov64_imm(R0, value), exit()]
}

/// `array[0] += 1`, return 0: the probe-fired counter used by the attach tests.
fn counter_program(map: &Map) -> Vec<u64> {
    let mut p = Vec::new();
    p.push(st_w(R10, -4, 0));
    p.extend(ld_map_fd(R1, map.as_raw_fd()));
    p.push(mov64_reg(R2, R10));
    p.push(add64_imm(R2, -4));
    p.push(call(MAP_LOOKUP_ELEM));
    p.push(jeq_imm(R0, 0, 2));
    p.push(mov64_imm(R1, 1));
    p.push(atomic_add_dw(R0, R1, 0));
    p.push(mov64_imm(R0, 0));
    p.push(exit());
    p
}

fn counter_map(name: &str) -> Map {
    let spec = MapSpec {
        kind: MapKind::Array,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        flags: 0,
        name,
    };
    Map::create(&spec).unwrap()
}

fn read_counter(map: &Map) -> u64 {
    let mut value = [0u8; 8];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut value).unwrap());
    u64::from_ne_bytes(value)
}

/// Copies `nargs` raw_tp arguments to the stack and emits them with `bpf_ringbuf_output`;
/// returns the helper's result.
fn ringbuf_output_program(ring: &Map, nargs: i16) -> Vec<u64> {
    let mut p = vec![mov64_reg(R6, R1)];
    for i in 0..nargs {
        p.push(ldx_dw(R7, R6, 8 * i));
        p.push(stx_dw(R10, R7, -8 * nargs + 8 * i));
    }
    p.extend(ld_map_fd(R1, ring.as_raw_fd()));
    p.push(mov64_reg(R2, R10));
    p.push(add64_imm(R2, -8 * i32::from(nargs)));
    p.push(mov64_imm(R3, 8 * i32::from(nargs)));
    p.push(mov64_imm(R4, 0));
    p.push(call(RINGBUF_OUTPUT));
    p.push(exit());
    p
}

fn load(kind: ProgKind, name: &str, insns: &[u64]) -> Program {
    Program::load(&ProgSpec::new(kind, name, insns)).unwrap_or_else(|err| panic!("{err:#}"))
}

fn ring_map(size: u32) -> Map {
    let spec = MapSpec {
        kind: MapKind::RingBuf,
        key_size: 0,
        value_size: 0,
        max_entries: size,
        flags: 0,
        name: "ring",
    };
    Map::create(&spec).unwrap()
}

fn getpid_syscalls(n: usize) {
    for _ in 0..n {
        // SAFETY: getpid has no preconditions; the raw syscall avoids any libc caching.
        unsafe { libc::syscall(libc::SYS_getpid) };
    }
}

#[test]
fn creates_every_map_kind() {
    require_kernel!("creates_every_map_kind");
    let ncpu = cpus::possible_cpu_count().unwrap() as u32;
    let kinds = [
        (MapKind::Hash, 8, 16, 64, 1),
        (MapKind::PercpuHash, 8, 16, 64, 5),
        (MapKind::Array, 4, 16, 64, 2),
        (MapKind::PercpuArray, 4, 16, 64, 6),
        (MapKind::LruHash, 8, 8, 64, 9),
        (MapKind::LruPercpuHash, 8, 8, 64, 10),
        (MapKind::RingBuf, 0, 0, 1 << 16, 27),
        (MapKind::PerfEventArray, 4, 4, ncpu, 4),
        (MapKind::StackTrace, 4, 8 * 127, 64, 7),
        (MapKind::ProgArray, 4, 4, 8, 3),
    ];
    for (kind, key_size, value_size, max_entries, raw_type) in kinds {
        let spec = MapSpec {
            kind,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            name: "dt-kind:test",
        };
        let map = Map::create(&spec).unwrap_or_else(|err| panic!("{kind:?}: {err}"));
        let info = map.info().unwrap();
        assert_eq!(info.map_type, raw_type, "{kind:?}");
        assert_eq!(info.name, "dt_kind_test");
        assert_eq!(map.name(), "dt_kind_test");
        assert!(info.id > 0);
    }
}

#[test]
fn invalid_ring_buffer_size_is_explained() {
    let spec = MapSpec {
        kind: MapKind::RingBuf,
        key_size: 0,
        value_size: 0,
        max_entries: 5000,
        flags: 0,
        name: "r",
    };
    let err = Map::create(&spec).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
    assert!(err.to_string().contains("power of two"), "{err}");
}

#[test]
fn hash_map_crud() {
    require_kernel!("hash_map_crud");
    let spec = MapSpec {
        kind: MapKind::Hash,
        key_size: 8,
        value_size: 4,
        max_entries: 16,
        flags: 0,
        name: "crud",
    };
    let map = Map::create(&spec).unwrap();
    let key = 42u64.to_ne_bytes();
    let mut out = [0u8; 4];
    assert!(!map.lookup(&key, &mut out).unwrap());
    map.update(&key, &7u32.to_ne_bytes(), UpdateMode::NoExist)
        .unwrap();
    assert!(map.lookup(&key, &mut out).unwrap());
    assert_eq!(u32::from_ne_bytes(out), 7);
    let exists = map
        .update(&key, &8u32.to_ne_bytes(), UpdateMode::NoExist)
        .unwrap_err();
    assert_eq!(exists.raw_os_error(), Some(libc::EEXIST));
    map.update(&key, &9u32.to_ne_bytes(), UpdateMode::Exist)
        .unwrap();
    assert!(map.lookup(&key, &mut out).unwrap());
    assert_eq!(u32::from_ne_bytes(out), 9);
    let absent = map
        .update(&1u64.to_ne_bytes(), &1u32.to_ne_bytes(), UpdateMode::Exist)
        .unwrap_err();
    assert_eq!(absent.raw_os_error(), Some(libc::ENOENT));

    map.update(&1u64.to_ne_bytes(), &1u32.to_ne_bytes(), UpdateMode::Any)
        .unwrap();
    let mut keys = Vec::new();
    let mut next = [0u8; 8];
    let mut prev: Option<[u8; 8]> = None;
    while map
        .next_key(prev.as_ref().map(|k| &k[..]), &mut next)
        .unwrap()
    {
        keys.push(u64::from_ne_bytes(next));
        prev = Some(next);
    }
    keys.sort_unstable();
    assert_eq!(keys, [1, 42]);

    assert!(map.delete(&key).unwrap());
    assert!(!map.delete(&key).unwrap());
    assert!(!map.lookup(&key, &mut out).unwrap());

    // Wrong sizes are refused before the kernel sees them.
    assert!(map.lookup(&[0u8; 4], &mut out).is_err());
    assert!(map.lookup(&key, &mut [0u8; 2]).is_err());
    assert!(map.update(&key, &[0u8; 8], UpdateMode::Any).is_err());
}

#[test]
fn percpu_values_have_one_slot_per_possible_cpu() {
    require_kernel!("percpu_values_have_one_slot_per_possible_cpu");
    let ncpu = cpus::possible_cpu_count().unwrap();
    let spec = MapSpec {
        kind: MapKind::PercpuArray,
        key_size: 4,
        value_size: 12,
        max_entries: 4,
        flags: 0,
        name: "pcpu",
    };
    let map = Map::create(&spec).unwrap();
    assert_eq!(map.value_len(), 16 * ncpu);
    let mut value = vec![0u8; map.value_len()];
    for (cpu, slot) in value.chunks_exact_mut(16).enumerate() {
        slot[..12].copy_from_slice(&[cpu as u8 + 1; 12]);
    }
    map.update(&2u32.to_ne_bytes(), &value, UpdateMode::Any)
        .unwrap();
    let mut out = vec![0u8; map.value_len()];
    assert!(map.lookup(&2u32.to_ne_bytes(), &mut out).unwrap());
    let slots: Vec<&[u8]> = map::split_percpu(&out, map.value_size()).collect();
    assert_eq!(slots.len(), ncpu);
    for (cpu, slot) in slots.iter().enumerate() {
        assert_eq!(*slot, &[cpu as u8 + 1; 12]);
    }
}

#[test]
fn snapshots_all_entries() {
    require_kernel!("snapshots_all_entries");
    for kind in [
        MapKind::Hash,
        MapKind::PercpuHash,
        MapKind::Array,
        MapKind::LruHash,
    ] {
        let key_size = if kind == MapKind::Array { 4 } else { 8 };
        let spec = MapSpec {
            kind,
            key_size,
            value_size: 8,
            max_entries: 3000,
            flags: 0,
            name: "snap",
        };
        let map = Map::create(&spec).unwrap();
        let n = if kind == MapKind::Array { 3000 } else { 2500 };
        for i in 0..n {
            let key = if key_size == 4 {
                (i as u32).to_ne_bytes().to_vec()
            } else {
                (i as u64).to_ne_bytes().to_vec()
            };
            let value: Vec<u8> = (0..map.value_len() / 8)
                .flat_map(|_| (i as u64 * 3).to_ne_bytes())
                .collect();
            map.update(&key, &value, UpdateMode::Any).unwrap();
        }
        let entries = map.entries().unwrap();
        assert_eq!(entries.len(), n as usize, "{kind:?}");
        let mut seen = vec![false; n as usize];
        for (key, value) in entries.iter() {
            let i = if key_size == 4 {
                u32::from_ne_bytes(key.try_into().unwrap()) as u64
            } else {
                u64::from_ne_bytes(key.try_into().unwrap())
            };
            assert_eq!(value.len(), map.value_len());
            for slot in map::split_percpu(value, 8) {
                assert_eq!(u64::from_ne_bytes(slot.try_into().unwrap()), i * 3);
            }
            seen[i as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "{kind:?}");
    }
    // Stack trace maps lack batch lookup: the iterating fallback serves them (empty here).
    let spec = MapSpec {
        kind: MapKind::StackTrace,
        key_size: 4,
        value_size: 8 * 16,
        max_entries: 16,
        flags: 0,
        name: "stacks",
    };
    let stacks = Map::create(&spec).unwrap();
    assert!(stacks.entries().unwrap().is_empty());
}

#[test]
fn frozen_maps_refuse_user_writes() {
    require_kernel!("frozen_maps_refuse_user_writes");
    let map = counter_map("frozen");
    map.update(&0u32.to_ne_bytes(), &5u64.to_ne_bytes(), UpdateMode::Any)
        .unwrap();
    map.freeze().unwrap();
    let err = map
        .update(&0u32.to_ne_bytes(), &6u64.to_ne_bytes(), UpdateMode::Any)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    assert_eq!(read_counter(&map), 5);
}

#[test]
fn mmapable_arrays_share_memory_with_the_map() {
    require_kernel!("mmapable_arrays_share_memory_with_the_map");
    let spec = MapSpec {
        kind: MapKind::Array,
        key_size: 4,
        value_size: 12,
        max_entries: 3,
        flags: flags::MMAPABLE,
        name: "globals",
    };
    let map = Map::create(&spec).unwrap();
    let mapped = map.mmap(true).unwrap();
    assert_eq!(mapped.len(), 48);
    // Written through the syscall, read through the mapping.
    let mut value = [0u8; 12];
    value[..8].copy_from_slice(&0x1122_3344_5566_7788u64.to_ne_bytes());
    map.update(&1u32.to_ne_bytes(), &value, UpdateMode::Any)
        .unwrap();
    assert_eq!(
        mapped.load_u64(mapped.offset_of(1)).unwrap(),
        0x1122_3344_5566_7788
    );
    // Written through the mapping, read through the syscall.
    mapped.write(mapped.offset_of(2), b"hello world!").unwrap();
    let mut out = [0u8; 12];
    assert!(map.lookup(&2u32.to_ne_bytes(), &mut out).unwrap());
    assert_eq!(&out, b"hello world!");
    let mut back = [0u8; 5];
    mapped.read(mapped.offset_of(2), &mut back).unwrap();
    assert_eq!(&back, b"hello");
    // Out of range and misaligned accesses fail instead of touching memory.
    assert!(mapped.load_u64(48).is_err());
    assert!(mapped.load_u64(4).is_err());
    assert!(mapped.read(40, &mut [0u8; 9]).is_err());
    // A plain array cannot be mapped.
    assert!(counter_map("plain").mmap(false).is_err());
}

#[test]
fn loads_and_test_runs_a_raw_tracepoint_program() {
    require_kernel!("loads_and_test_runs_a_raw_tracepoint_program");
    let prog = load(ProgKind::RawTracepoint, "ret7", &return_const(7));
    assert_eq!(prog.test_run(&[], None).unwrap(), 7);
    for cpu in cpus::online_cpus().unwrap() {
        assert_eq!(prog.test_run_args(&[1, 2, 3], Some(cpu)).unwrap(), 7);
    }
    let info = prog.info().unwrap();
    assert_eq!(info.name, "ret7");
    assert_eq!(info.prog_type, 17);
    assert_eq!(info.xlated_insn_count, 2);

    // Returns its first argument: the synthetic context reaches the program.
    let echo = load(
        ProgKind::RawTracepoint,
        "echo",
        &[ldx_dw(R0, R1, 8), exit()],
    );
    assert_eq!(echo.test_run_args(&[5, 1234], None).unwrap(), 1234);
}

#[test]
fn statistics_count_runs() {
    require_kernel!("statistics_count_runs");
    let prog = load(ProgKind::RawTracepoint, "stats", &return_const(0));
    let _stats = info::enable_stats().unwrap();
    for _ in 0..10 {
        prog.test_run(&[], None).unwrap();
    }
    // Test runs are not counted as probe firings on every kernel, so attach and fire too.
    let link = Link::raw_tracepoint(&prog, "sys_enter").unwrap();
    getpid_syscalls(100);
    drop(link);
    let info = prog.info().unwrap();
    assert!(info.run_count >= 100, "run_count {}", info.run_count);
    assert!(info.run_time_ns > 0);
}

#[test]
fn failed_load_returns_the_verifier_log() {
    require_kernel!("failed_load_returns_the_verifier_log");
    // `exit` without setting r0.
    let err = Program::load(&ProgSpec::new(ProgKind::RawTracepoint, "bad", &[exit()])).unwrap_err();
    assert_eq!(err.errno(), libc::EACCES);
    let log = err.verifier_log().unwrap();
    assert!(log.contains("R0 !read_ok"), "log: {log}");
    assert!(err.to_string().contains("rejected by the BPF verifier"));
    assert!(format!("{err:#}").contains("R0 !read_ok"));

    let empty = Program::load(&ProgSpec::new(ProgKind::RawTracepoint, "empty", &[])).unwrap_err();
    assert_eq!(empty.errno(), libc::EINVAL);
}

#[test]
fn ring_buffer_delivers_test_run_output() {
    require_kernel!("ring_buffer_delivers_test_run_output");
    let ring = ring_map(1 << 16);
    let prog = load(
        ProgKind::RawTracepoint,
        "rb_out",
        &ringbuf_output_program(&ring, 2),
    );
    let mut consumer = RingBuf::new(&ring).unwrap();
    assert!(consumer.is_empty());
    assert!(!consumer.poll(Some(Duration::from_millis(1))).unwrap());
    assert_eq!(prog.test_run_args(&[0xdead_beef, 77], None).unwrap(), 0);
    assert_eq!(consumer.pending_bytes(), 24);
    assert!(consumer.poll(Some(Duration::from_millis(100))).unwrap());
    let mut records = Vec::new();
    let n = consumer
        .consume(|record| records.push(record.to_vec()))
        .unwrap();
    assert_eq!(n, 1);
    let expected: Vec<u8> = [0xdead_beefu64, 77]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    assert_eq!(records, [expected]);
    assert!(consumer.is_empty());
}

#[test]
fn ring_buffer_skips_discarded_records() {
    require_kernel!("ring_buffer_skips_discarded_records");
    let ring = ring_map(4096);
    let map_fd = ring.as_raw_fd();
    let mut p = Vec::new();
    // First reservation: discarded.
    p.extend(ld_map_fd(R1, map_fd));
    p.push(mov64_imm(R2, 8));
    p.push(mov64_imm(R3, 0));
    p.push(call(RINGBUF_RESERVE));
    p.push(jeq_imm(R0, 0, 13)); // -> out
    p.push(mov64_reg(R1, R0));
    p.push(mov64_imm(R2, 0));
    p.push(call(RINGBUF_DISCARD));
    // Second reservation: submitted with a value.
    p.extend(ld_map_fd(R1, map_fd));
    p.push(mov64_imm(R2, 8));
    p.push(mov64_imm(R3, 0));
    p.push(call(RINGBUF_RESERVE));
    p.push(jeq_imm(R0, 0, 4)); // -> out
    p.push(st_dw(R0, 0, 0x1234));
    p.push(mov64_reg(R1, R0));
    p.push(mov64_imm(R2, 0));
    p.push(call(RINGBUF_SUBMIT));
    // out:
    p.push(mov64_imm(R0, 0));
    p.push(exit());
    let prog = load(ProgKind::RawTracepoint, "rb_discard", &p);
    let mut consumer = RingBuf::new(&ring).unwrap();
    prog.test_run(&[], None).unwrap();
    assert_eq!(consumer.pending_bytes(), 32);
    let mut values = Vec::new();
    consumer
        .consume(|r| values.push(u64::from_ne_bytes(r.try_into().unwrap())))
        .unwrap();
    assert_eq!(values, [0x1234]);
    assert!(consumer.is_empty());
}

#[test]
fn ring_buffer_records_wrap_around_contiguously() {
    require_kernel!("ring_buffer_records_wrap_around_contiguously");
    // 40-byte payloads make 48-byte records, which do not divide the 4096-byte buffer, so
    // records straddle the end and rely on the double mapping.
    let ring = ring_map(4096);
    let prog = load(
        ProgKind::RawTracepoint,
        "rb_wrap",
        &ringbuf_output_program(&ring, 5),
    );
    let mut consumer = RingBuf::new(&ring).unwrap();
    let mut next_expected = 0u64;
    let mut produced = 0u64;
    for _round in 0..40 {
        for _ in 0..50 {
            let args = [
                produced,
                produced + 1,
                produced + 2,
                produced + 3,
                produced + 4,
            ];
            assert_eq!(prog.test_run_args(&args, None).unwrap(), 0);
            produced += 1;
        }
        consumer
            .consume(|record| {
                assert_eq!(record.len(), 40);
                for (i, word) in record.chunks_exact(8).enumerate() {
                    assert_eq!(
                        u64::from_ne_bytes(word.try_into().unwrap()),
                        next_expected + i as u64
                    );
                }
                next_expected += 1;
            })
            .unwrap();
    }
    assert_eq!(next_expected, produced);

    // Breaking stops after the current record, which counts as consumed.
    for i in 0..3 {
        prog.test_run_args(&[i, 0, 0, 0, 0], None).unwrap();
    }
    let mut seen = Vec::new();
    let n = consumer
        .consume_until(|r| {
            seen.push(u64::from_ne_bytes(r[..8].try_into().unwrap()));
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((n, seen.as_slice()), (2, &[0, 1][..]));
    assert_eq!(consumer.pending_bytes(), 48);
}

#[test]
fn raw_tracepoint_attach_and_detach() {
    require_kernel!("raw_tracepoint_attach_and_detach");
    let counter = counter_map("rawtp_count");
    let prog = load(ProgKind::RawTracepoint, "rawtp", &counter_program(&counter));
    let link = Link::raw_tracepoint(&prog, "sys_enter").unwrap();
    let link_id = link.info().unwrap().unwrap().id;
    assert!(info::link_ids().unwrap().contains(&link_id));
    getpid_syscalls(100);
    assert!(read_counter(&counter) >= 100);
    drop(link);
    assert!(!info::link_ids().unwrap().contains(&link_id));
    let after = read_counter(&counter);
    std::thread::sleep(Duration::from_millis(20));
    getpid_syscalls(100);
    assert_eq!(
        read_counter(&counter),
        after,
        "program still attached after drop"
    );

    let err = Link::raw_tracepoint(&prog, "no_such_tracepoint_xyz").unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);
    assert!(err.to_string().contains("no such tracepoint"), "{err}");
}

#[test]
fn dropped_programs_and_maps_leave_the_kernel() {
    require_kernel!("dropped_programs_and_maps_leave_the_kernel");
    let map = counter_map("gone");
    let prog = load(ProgKind::RawTracepoint, "gone", &counter_program(&map));
    let prog_id = prog.info().unwrap().id;
    let map_id = map.info().unwrap().id;
    assert!(info::prog_ids().unwrap().contains(&prog_id));
    assert!(info::map_ids().unwrap().contains(&map_id));
    drop(map); // the program still holds the map
    assert!(info::map_ids().unwrap().contains(&map_id));
    drop(prog);
    // Freeing is deferred to an RCU callback; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let progs = info::prog_ids().unwrap();
        let maps = info::map_ids().unwrap();
        if !progs.contains(&prog_id) && !maps.contains(&map_id) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("program {prog_id} or map {map_id} still loaded after drop");
}

#[test]
fn cpu_clock_events_run_perf_event_programs() {
    require_kernel!("cpu_clock_events_run_perf_event_programs");
    let counter = counter_map("profile_count");
    let prog = load(ProgKind::PerfEvent, "profile", &counter_program(&counter));
    let links: Vec<Link> = cpus::online_cpus()
        .unwrap()
        .into_iter()
        .map(|cpu| {
            PerfEvent::cpu_clock(cpu, 1_000_000)
                .unwrap()
                .attach(&prog, 0)
                .unwrap()
        })
        .collect();
    // Busy CPUs take samples; idle ones barely do, so spin.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(300) {
        std::hint::black_box(start.elapsed());
    }
    assert!(read_counter(&counter) > 0, "no cpu-clock samples");
    let by_frequency = PerfEvent::cpu_clock_frequency(0, 99)
        .unwrap()
        .attach(&prog, 0)
        .unwrap();
    assert!(by_frequency.info().is_some());
    drop(by_frequency);
    drop(links);
    let after = read_counter(&counter);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(50) {
        std::hint::black_box(start.elapsed());
    }
    assert_eq!(read_counter(&counter), after);
}

#[test]
fn tracepoint_perf_events_run_tracepoint_programs() {
    require_kernel!("tracepoint_perf_events_run_tracepoint_programs");
    let Ok(fs) = Tracefs::open() else {
        eprintln!("skipped: no tracefs");
        return;
    };
    let id = fs.event_id("syscalls", "sys_enter_getpid").unwrap();
    let counter = counter_map("tp_count");
    let prog = load(ProgKind::Tracepoint, "tp", &counter_program(&counter));
    let link = PerfEvent::tracepoint(id, 0)
        .unwrap()
        .attach(&prog, 0)
        .unwrap();
    assert!(link.perf_event().is_some());
    getpid_syscalls(50);
    assert!(read_counter(&counter) >= 50);
    // Tracepoint programs cannot be test-run.
    assert!(prog.test_run(&[], None).is_err());
}

/// A tiny reader for the kernel's BTF: finds a type id by kind and name.
fn vmlinux_btf_id(kind: u32, name: &str) -> Option<u32> {
    let data = std::fs::read(features::VMLINUX_BTF).ok()?;
    let u32_at = |off: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(data.get(off..off + 4)?.try_into().ok()?))
    };
    let hdr_len = u32_at(4)? as usize;
    let (type_off, type_len) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let str_off = u32_at(16)? as usize;
    let types = hdr_len + type_off;
    let strings = hdr_len + str_off;
    let mut pos = types;
    let mut id = 1;
    while pos < types + type_len {
        let (name_off, info) = (u32_at(pos)? as usize, u32_at(pos + 4)?);
        let (vlen, this_kind) = ((info & 0xffff) as usize, (info >> 24) & 0x1f);
        if this_kind == kind {
            let start = strings + name_off;
            let end = start + data.get(start..)?.iter().position(|&b| b == 0)?;
            if &data[start..end] == name.as_bytes() {
                return Some(id);
            }
        }
        pos += 12
            + match this_kind {
                1 | 14 | 17 => 4,
                3 => 12,
                4 | 5 | 15 | 19 => 12 * vlen,
                6 | 13 => 8 * vlen,
                _ => 0,
            };
        id += 1;
    }
    None
}

const BTF_KIND_TYPEDEF: u32 = 8;
const BTF_KIND_FUNC: u32 = 12;

#[test]
fn tp_btf_programs_attach_through_links() {
    require_kernel!("tp_btf_programs_attach_through_links");
    let Some(btf_id) = vmlinux_btf_id(BTF_KIND_TYPEDEF, "btf_trace_sys_enter") else {
        eprintln!("skipped: no BTF for sys_enter");
        return;
    };
    let counter = counter_map("tpbtf_count");
    let insns = counter_program(&counter);
    let spec = ProgSpec {
        attach_btf_id: btf_id,
        ..ProgSpec::new(ProgKind::TpBtf, "tpbtf", &insns)
    };
    let prog = Program::load(&spec).unwrap_or_else(|err| panic!("{err:#}"));
    let link = Link::tracing(&prog).unwrap();
    getpid_syscalls(100);
    assert!(read_counter(&counter) >= 100);
    drop(link);
    assert!(
        Link::tracing(&load(
            ProgKind::RawTracepoint,
            "nottracing",
            &return_const(0)
        ))
        .is_err()
    );
}

#[test]
fn fentry_loads_or_explains_why_not() {
    require_kernel!("fentry_loads_or_explains_why_not");
    let candidates = ["__x64_sys_getpid", "__arm64_sys_getpid", "__do_sys_getpid"];
    let Some(btf_id) = candidates
        .iter()
        .find_map(|name| vmlinux_btf_id(BTF_KIND_FUNC, name))
    else {
        eprintln!("skipped: no BTF for the getpid entry point");
        return;
    };
    let counter = counter_map("fentry_count");
    let insns = counter_program(&counter);
    let spec = ProgSpec {
        attach_btf_id: btf_id,
        ..ProgSpec::new(ProgKind::Fentry, "fentry", &insns)
    };
    match Program::load(&spec) {
        Ok(prog) => {
            let _link = Link::tracing(&prog).unwrap();
            getpid_syscalls(10);
            assert!(read_counter(&counter) >= 10);
        }
        Err(err) => {
            eprintln!("fentry unavailable: {err:#}");
            assert!(
                err.is_permission_denied() || err.errno() == libc::EINVAL,
                "{err:#}"
            );
            assert!(
                err.to_string()
                    .starts_with("failed to load BPF program 'fentry'")
            );
        }
    }
}

// One probe target per test: a system-wide uprobe fires for every thread of this process, and
// tests run concurrently.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn dtrace_kernel_test_uprobe_target(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(3)
}

#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn dtrace_kernel_test_uprobe_multi_target(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(5)
}

/// The file and file offset holding `addr` in this process, from /proc/self/maps.
fn file_offset_of(addr: usize) -> Option<(PathBuf, u64)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let range = parts.next()?;
        let _perms = parts.next()?;
        let offset = u64::from_str_radix(parts.next()?, 16).ok()?;
        let (_dev, _inode) = (parts.next()?, parts.next()?);
        let path = parts.next()?;
        let (start, end) = range.split_once('-')?;
        let (start, end) = (
            usize::from_str_radix(start, 16).ok()?,
            usize::from_str_radix(end, 16).ok()?,
        );
        if (start..end).contains(&addr) && path.starts_with('/') {
            return Some((PathBuf::from(path), (addr - start) as u64 + offset));
        }
    }
    None
}

fn call_repeatedly(target: extern "C" fn(u64) -> u64, n: u64) {
    for i in 0..n {
        std::hint::black_box(target(i));
    }
}

#[test]
fn uprobes_through_the_perf_pmu() {
    require_kernel!("uprobes_through_the_perf_pmu");
    if !crate::perf::uprobes_available() {
        eprintln!("skipped: no uprobe PMU");
        return;
    }
    let (path, offset) =
        file_offset_of(dtrace_kernel_test_uprobe_target as *const () as usize).unwrap();
    let counter = counter_map("uprobe_count");
    let prog = load(ProgKind::Kprobe, "uprobe", &counter_program(&counter));
    let entry = PerfEvent::uprobe(&path, offset, &UprobeOptions::default())
        .unwrap()
        .attach(&prog, 0)
        .unwrap();
    let options = UprobeOptions {
        retprobe: true,
        pid: Some(std::process::id()),
        ..UprobeOptions::default()
    };
    let ret = PerfEvent::uprobe(&path, offset, &options)
        .unwrap()
        .attach(&prog, 0)
        .unwrap();
    call_repeatedly(dtrace_kernel_test_uprobe_target, 10);
    assert_eq!(read_counter(&counter), 20);
    drop((entry, ret));
    call_repeatedly(dtrace_kernel_test_uprobe_target, 10);
    assert_eq!(read_counter(&counter), 20);

    let err =
        PerfEvent::uprobe(Path::new("/no/such/file"), 0, &UprobeOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("failed to open perf event 'uprobe /no/such/file:0x0'"),
        "{err}"
    );
}

#[test]
fn uprobe_multi_links() {
    require_kernel!("uprobe_multi_links");
    if !features::uprobe_multi_available() {
        eprintln!("skipped: uprobe_multi unsupported by this kernel");
        return;
    }
    let (path, offset) =
        file_offset_of(dtrace_kernel_test_uprobe_multi_target as *const () as usize).unwrap();
    let counter = counter_map("umulti_count");
    let insns = counter_program(&counter);
    let prog = load(ProgKind::UprobeMulti, "umulti", &insns);
    let spec = UprobeMultiSpec {
        path: &path,
        offsets: &[offset],
        ref_ctr_offsets: &[],
        cookies: &[7],
        pid: Some(std::process::id()),
        retprobe: false,
    };
    let link = Link::uprobe_multi(&prog, &spec).unwrap();
    call_repeatedly(dtrace_kernel_test_uprobe_multi_target, 10);
    assert_eq!(read_counter(&counter), 10);
    drop(link);
    call_repeatedly(dtrace_kernel_test_uprobe_multi_target, 10);
    assert_eq!(read_counter(&counter), 10);

    let mismatched = UprobeMultiSpec {
        cookies: &[1, 2],
        ..spec
    };
    assert_eq!(
        Link::uprobe_multi(&prog, &mismatched).unwrap_err().errno(),
        libc::EINVAL
    );
}

#[test]
fn kprobe_support_is_reported() {
    let available = crate::perf::kprobes_available();
    eprintln!("kprobe PMU available: {available}");
    if !available {
        let err = PerfEvent::kprobe("do_sys_openat2", 0, false).unwrap_err();
        assert!(err.to_string().contains("no kprobe PMU"), "{err}");
    }
}

/// Program BTF with two static functions: `int main_fn(void *ctx)` and `int sub_fn(void)`.
fn two_function_btf() -> Vec<u8> {
    let strings = b"\0int\0ctx\0main_fn\0sub_fn\0";
    let (int_name, ctx_name, main_name, sub_name) = (1u32, 5u32, 9u32, 17u32);
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let words: Vec<u32> = vec![
        int_name,
        info(1, 0),
        4,
        (1 << 24) | 32, // [1] int: signed, 32 bits
        0,
        info(2, 0),
        0, // [2] void *
        0,
        info(13, 1),
        1,
        ctx_name,
        2, // [3] int (void *ctx)
        main_name,
        info(12, 0),
        3, // [4] static main_fn
        0,
        info(13, 0),
        1, // [5] int (void)
        sub_name,
        info(12, 0),
        5, // [6] static sub_fn
    ];
    let types: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let mut blob = Vec::new();
    blob.extend(0xeb9fu16.to_ne_bytes());
    blob.extend([1u8, 0]);
    for word in [
        24u32,
        0,
        types.len() as u32,
        types.len() as u32,
        strings.len() as u32,
    ] {
        blob.extend(word.to_ne_bytes());
    }
    blob.extend(types);
    blob.extend(strings);
    blob
}

#[test]
fn programs_with_btf_and_subprograms() {
    require_kernel!("programs_with_btf_and_subprograms");
    let btf = Btf::load(&two_function_btf()).unwrap_or_else(|err| panic!("{err:#}"));
    // main: r0 = sub_fn() + 1; sub_fn: return 41.
    let insns = [
        call_local(2),
        add64_imm(R0, 1),
        exit(),
        mov64_imm(R0, 41),
        exit(),
    ];
    let func_info: Vec<u8> = [[0u32, 4], [3, 6]]
        .iter()
        .flatten()
        .flat_map(|w| w.to_ne_bytes())
        .collect();
    let spec = ProgSpec {
        btf: Some(std::os::fd::AsFd::as_fd(&btf)),
        func_info: &func_info,
        func_info_rec_size: 8,
        ..ProgSpec::new(ProgKind::RawTracepoint, "with_btf", &insns)
    };
    let prog = Program::load(&spec).unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(prog.test_run(&[], None).unwrap(), 42);

    let err = Btf::load(b"not btf at all").unwrap_err();
    assert_eq!(err.op(), crate::Op::LoadBtf);
}

#[test]
fn detects_the_environment() {
    eprintln!(
        "btf: {}, tracefs: {}, kprobes: {}, uprobes: {}, uprobe_multi: {}",
        features::btf_available(),
        features::tracefs_available(),
        crate::perf::kprobes_available(),
        crate::perf::uprobes_available(),
        kernel_available("detects_the_environment") && features::uprobe_multi_available(),
    );
}

/// Attach and detach cost of 360 raw tracepoint links versus 360 tracepoint perf events.
/// Run with `cargo test --release -p dtrace-kernel -- --ignored --nocapture attach_timing`.
#[test]
#[ignore = "measurement; slow"]
fn attach_timing() {
    require_kernel!("attach_timing");
    let fs = Tracefs::open().unwrap();
    let ids: Vec<u32> = fs
        .available_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.system == "syscalls" && e.name.starts_with("sys_enter_"))
        .take(360)
        .map(|e| fs.event_id(&e.system, &e.name).unwrap())
        .collect();
    let n = ids.len();
    let raw = load(ProgKind::RawTracepoint, "t_raw", &return_const(0));
    let t = Instant::now();
    let links: Vec<Link> = (0..n)
        .map(|_| Link::raw_tracepoint(&raw, "sys_enter").unwrap())
        .collect();
    let attach = t.elapsed();
    let t = Instant::now();
    drop(links);
    eprintln!(
        "{n} raw tracepoint links: attach {attach:?}, detach {:?}",
        t.elapsed()
    );

    let tp = load(ProgKind::Tracepoint, "t_tp", &return_const(0));
    let open = |ids: &[u32]| -> Vec<Link> {
        ids.iter()
            .map(|&id| {
                PerfEvent::tracepoint(id, 0)
                    .unwrap()
                    .attach(&tp, 0)
                    .unwrap()
            })
            .collect()
    };
    let t = Instant::now();
    let links = open(&ids);
    let attach = t.elapsed();
    let t = Instant::now();
    link::detach_all(links);
    eprintln!(
        "{n} tracepoint perf events: attach {attach:?}, detach_all {:?}",
        t.elapsed()
    );
    let links = open(&ids);
    let t = Instant::now();
    drop(links);
    eprintln!(
        "{n} tracepoint perf events: sequential detach {:?}",
        t.elapsed()
    );
}

/// Ring buffer consumer throughput. Run with
/// `cargo test --release -p dtrace-kernel -- --ignored --nocapture ringbuf_rate`.
#[test]
#[ignore = "measurement"]
fn ringbuf_rate() {
    require_kernel!("ringbuf_rate");
    // A program that emits 100 eight-byte records per run and counts failed outputs.
    let ring = ring_map(64 << 20);
    let drops = counter_map("rb_drops");
    let mut p = vec![st_dw(R10, -8, 1), mov64_imm(R6, 0)];
    let top = p.len();
    p.extend(ld_map_fd(R1, ring.as_raw_fd()));
    p.extend([
        mov64_reg(R2, R10),
        add64_imm(R2, -8),
        mov64_imm(R3, 8),
        mov64_imm(R4, 0),
        call(RINGBUF_OUTPUT),
    ]);
    p.push(jeq_imm(R0, 0, 9)); // -> next
    p.push(st_w(R10, -12, 0));
    p.extend(ld_map_fd(R1, drops.as_raw_fd()));
    p.extend([
        mov64_reg(R2, R10),
        add64_imm(R2, -12),
        call(MAP_LOOKUP_ELEM),
        jeq_imm(R0, 0, 2),
    ]);
    p.extend([mov64_imm(R1, 1), atomic_add_dw(R0, R1, 0)]);
    // next:
    p.push(add64_imm(R6, 1));
    let back = top as i16 - (p.len() as i16 + 1);
    p.push(jlt_imm(R6, 100, back));
    p.extend([mov64_imm(R0, 0), exit()]);
    let prog = load(ProgKind::RawTracepoint, "rb_rate", &p);
    let mut consumer = RingBuf::new(&ring).unwrap();

    // Consumer alone: drain a buffer filled beforehand.
    let runs = 20_000;
    for _ in 0..runs {
        prog.test_run(&[], None).unwrap();
    }
    let t = Instant::now();
    let mut count = 0usize;
    while !consumer.is_empty() {
        count += consumer
            .consume(|r| {
                std::hint::black_box(r);
            })
            .unwrap();
    }
    let elapsed = t.elapsed();
    eprintln!(
        "drained {count} records in {elapsed:?}: {:.1} M records/s (drops {})",
        count as f64 / elapsed.as_secs_f64() / 1e6,
        read_counter(&drops)
    );

    // Producer and consumer concurrently.
    let stop = AtomicBool::new(false);
    let (consumed, elapsed) = std::thread::scope(|scope| {
        let producer = scope.spawn(|| {
            let mut produced = 0u64;
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(2) {
                prog.test_run(&[], None).unwrap();
                produced += 100;
            }
            stop.store(true, Ordering::Release);
            produced
        });
        let t = Instant::now();
        let mut consumed = 0usize;
        while !stop.load(Ordering::Acquire) || !consumer.is_empty() {
            if consumer.poll(Some(Duration::from_millis(10))).unwrap() {
                consumed += consumer
                    .consume(|r| {
                        std::hint::black_box(r);
                    })
                    .unwrap();
            }
        }
        let produced = producer.join().unwrap();
        eprintln!("concurrently produced {produced}");
        (consumed, t.elapsed())
    });
    eprintln!(
        "concurrently consumed {consumed} records in {elapsed:?}: {:.1} M records/s (drops {})",
        consumed as f64 / elapsed.as_secs_f64() / 1e6,
        read_counter(&drops)
    );
}
