//! What this kernel offers, detected at start so that missing pieces are reported clearly
//! instead of surfacing as an obscure errno mid-session.

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use crate::error::Result;
use crate::link::{Link, UprobeMultiSpec};
use crate::map::{Map, MapKind, MapSpec};
use crate::prog::{ProgKind, ProgSpec, Program};

pub use crate::perf::{kprobes_available, uprobes_available};

/// Where the kernel publishes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Whether kernel BTF exists (needed for tp_btf/fentry and for typed kernel data).
pub fn btf_available() -> bool {
    Path::new(VMLINUX_BTF).is_file()
}

/// Whether tracefs is mounted (without trying to mount it).
pub fn tracefs_available() -> bool {
    crate::Tracefs::find().is_some()
}

/// Checks that the `bpf` system call works for us by creating a tiny map. The error explains
/// what is wrong (no privilege, no BPF in this kernel).
pub fn check_bpf() -> Result<()> {
    let spec = MapSpec {
        kind: MapKind::Array,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        flags: 0,
        name: "probe",
    };
    Map::create(&spec).map(drop)
}

/// Instructions for `r0 = 0; exit`.
fn return_zero() -> [u64; 2] {
    // BPF_ALU64 | BPF_MOV | BPF_K (0xb7) with all-zero operands, then BPF_JMP | BPF_EXIT (0x95);
    // the opcode is the first byte in memory.
    [
        u64::from_ne_bytes([0xb7, 0, 0, 0, 0, 0, 0, 0]),
        u64::from_ne_bytes([0x95, 0, 0, 0, 0, 0, 0, 0]),
    ]
}

/// Whether `uprobe_multi` links work (kernels >= 6.6 with uprobes). Probed once: a link at
/// offset 0 of `/` fails with `EBADF` (not a regular file) when the link type exists, and with
/// `EINVAL` when it does not.
pub fn uprobe_multi_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| probe_uprobe_multi().unwrap_or(false))
}

fn probe_uprobe_multi() -> io::Result<bool> {
    let insns = return_zero();
    let Ok(prog) = Program::load(&ProgSpec::new(
        ProgKind::UprobeMulti,
        "probe_umulti",
        &insns,
    )) else {
        return Ok(false);
    };
    let spec = UprobeMultiSpec {
        path: Path::new("/"),
        offsets: &[0],
        ref_ctr_offsets: &[],
        cookies: &[],
        pid: None,
        retprobe: false,
    };
    match Link::uprobe_multi(&prog, &spec) {
        Ok(_) => Ok(true),
        Err(err) => Ok(err.errno() == libc::EBADF),
    }
}
