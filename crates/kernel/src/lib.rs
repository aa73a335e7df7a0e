//! The kernel interface: the one place where the tracer talks to Linux through `bpf(2)`,
//! `perf_event_open(2)`, memory mappings and tracefs, and the only crate with `unsafe` code.
//!
//! The pipeline hands this crate finished artefacts — map specifications and encoded
//! instructions — and gets back owned kernel objects:
//!
//! - [`Map`] ([`map`]): create, element access, snapshots, per-CPU values, memory-mapped arrays.
//! - [`Program`] ([`prog`]): load with verifier-log retry, test runs, map-fd patching;
//!   [`Btf`] ([`btf`]) for program BTF.
//! - [`Link`] ([`link`]) and [`PerfEvent`] ([`perf`]): attachments that detach on drop, and which
//!   of them tear down fast.
//! - [`RingBuf`] ([`ringbuf`]): the zero-copy record consumer.
//! - [`Tracefs`] ([`tracefs`]) and [`syscalls`]: the event catalogue and syscall numbers.
//! - [`privilege`], [`features`], [`cpus`], [`info`]: environment checks and introspection.
//!
//! Everything owns its file descriptor; dropping a value releases the kernel object. Errors from
//! creating, loading and attaching are [`Error`]s that say what failed and what to do about it.
//!
//! Start with `sys.rs` to see the raw calls, then `map.rs` and `prog.rs`.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod btf;
pub mod cpus;
pub mod error;
pub mod features;
pub mod info;
pub mod link;
pub mod map;
mod mmap;
pub mod perf;
pub mod privilege;
pub mod process;
pub mod prog;
pub mod ringbuf;
mod sys;
pub mod syscalls;
pub mod tracefs;

pub use btf::Btf;
pub use error::{Error, Op, Result};
pub use link::{Link, UprobeMultiSpec};
pub use map::{Map, MapEntries, MapKind, MapSpec, MappedArray, UpdateMode};
pub use perf::{PerfEvent, UprobeOptions};
pub use prog::{ProgKind, ProgSpec, Program};
pub use ringbuf::RingBuf;
pub use tracefs::Tracefs;

#[cfg(test)]
mod kernel_tests;
