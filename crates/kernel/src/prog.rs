//! BPF programs: loading run-time generated instructions, test runs, and map relocation.
//!
//! Instructions arrive as `u64` words, each one `struct bpf_insn` in native byte order, exactly as
//! the kernel reads them, so the slice is passed through without copying.
//!
//! **Loading** first runs the verifier without a log, which is fastest and the common case. Only
//! when that fails do we load again with `log_level = 1` and a buffer that starts at 1 MiB and
//! grows (to the size the kernel says it needed, when it says so) up to 16 MiB on `ENOSPC`. The
//! error then carries the log so the caller can map the failure back to D source.
//!
//! **Map references.** The compiler cannot know descriptors, so it emits `ld_imm64` with
//! `src_reg = BPF_PSEUDO_MAP_IDX` (or `_IDX_VALUE`) and the index of the map in the object.
//! [`patch_map_fds`] rewrites those into `BPF_PSEUDO_MAP_FD` (or `_VALUE`) with the descriptor,
//! the form every kernel accepts.
//!
//! **Test runs** (`BPF_PROG_TEST_RUN`) execute a raw_tracepoint program synchronously with a
//! synthetic argument array; this is how BEGIN/END run and how generated code is tested.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Op, Result};
use crate::info::{self, ProgInfo};
use crate::sys::{self, Cmd, ProgLoadAttr, TestRunAttr, attach_type};

/// The kinds of program the tracer loads. Each fixes the kernel program type and the expected
/// attach type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgKind {
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`: context is the tracepoint's `u64` argument array.
    RawTracepoint,
    /// `BPF_PROG_TYPE_TRACEPOINT`: context is the tracefs event record.
    Tracepoint,
    /// `BPF_PROG_TYPE_PERF_EVENT`: for sampling events (profile, tick).
    PerfEvent,
    /// `BPF_PROG_TYPE_KPROBE`: attached to kprobe or uprobe perf events.
    Kprobe,
    /// `BPF_PROG_TYPE_KPROBE` expecting a `uprobe_multi` link.
    UprobeMulti,
    /// `BPF_PROG_TYPE_TRACING` on a BTF-typed raw tracepoint (`btf_trace_<name>`).
    TpBtf,
    /// `BPF_PROG_TYPE_TRACING`, function entry.
    Fentry,
    /// `BPF_PROG_TYPE_TRACING`, function return.
    Fexit,
}

impl ProgKind {
    fn prog_type(self) -> u32 {
        match self {
            ProgKind::Kprobe | ProgKind::UprobeMulti => 2,
            ProgKind::Tracepoint => 5,
            ProgKind::PerfEvent => 7,
            ProgKind::RawTracepoint => 17,
            ProgKind::TpBtf | ProgKind::Fentry | ProgKind::Fexit => 26,
        }
    }

    pub(crate) fn expected_attach_type(self) -> u32 {
        match self {
            ProgKind::UprobeMulti => attach_type::TRACE_UPROBE_MULTI,
            ProgKind::TpBtf => attach_type::TRACE_RAW_TP,
            ProgKind::Fentry => attach_type::TRACE_FENTRY,
            ProgKind::Fexit => attach_type::TRACE_FEXIT,
            _ => 0,
        }
    }

    /// Whether the program attaches through BTF (`attach_btf_id` required).
    pub fn is_btf_tracing(self) -> bool {
        matches!(self, ProgKind::TpBtf | ProgKind::Fentry | ProgKind::Fexit)
    }
}

/// Everything needed to load a program.
#[derive(Clone, Copy, Debug)]
pub struct ProgSpec<'a> {
    pub kind: ProgKind,
    /// Sanitized to `[A-Za-z0-9_.]`, 15 bytes.
    pub name: &'a str,
    /// Encoded `struct bpf_insn`s, native byte order.
    pub insns: &'a [u64],
    /// Must be GPL-compatible for most tracing helpers.
    pub license: &'a str,
    /// For BTF tracing kinds: the BTF type id of the target (`btf_trace_<tp>` or the function).
    pub attach_btf_id: u32,
    /// The module BTF object holding `attach_btf_id`; `None` for vmlinux.
    pub attach_btf_obj_fd: Option<BorrowedFd<'a>>,
    /// `BPF_F_*` program flags (e.g. `BPF_F_SLEEPABLE`).
    pub prog_flags: u32,
    /// Program BTF (from [`crate::Btf::load`]) describing functions; needed for `bpf_loop`
    /// callbacks and global functions.
    pub btf: Option<BorrowedFd<'a>>,
    /// `struct bpf_func_info` records (one per function, in instruction order).
    pub func_info: &'a [u8],
    pub func_info_rec_size: u32,
    /// `struct bpf_line_info` records.
    pub line_info: &'a [u8],
    pub line_info_rec_size: u32,
}

impl<'a> ProgSpec<'a> {
    /// A GPL program of `kind` with no BTF.
    pub fn new(kind: ProgKind, name: &'a str, insns: &'a [u64]) -> ProgSpec<'a> {
        ProgSpec {
            kind,
            name,
            insns,
            license: "GPL",
            attach_btf_id: 0,
            attach_btf_obj_fd: None,
            prog_flags: 0,
            btf: None,
            func_info: &[],
            func_info_rec_size: 0,
            line_info: &[],
            line_info_rec_size: 0,
        }
    }
}

/// A loaded program; unloaded when dropped and no attachment holds it.
#[derive(Debug)]
pub struct Program {
    fd: OwnedFd,
    kind: ProgKind,
    name: String,
}

const INITIAL_LOG: usize = 1 << 20;
const MAX_LOG: usize = 16 << 20;

/// Runs a load that can produce a verifier log: once without a log, then, if that fails, again
/// with a log buffer grown on `ENOSPC`. `attempt` receives the log buffer (if any) and returns
/// the result with the log size the kernel reported it needed (0 if unknown).
pub(crate) fn load_with_log(
    op: Op,
    subject: &str,
    mut attempt: impl FnMut(Option<&mut [u8]>) -> (io::Result<OwnedFd>, u32),
) -> Result<OwnedFd> {
    let first_errno = match retry_eagain(|| attempt(None)).0 {
        Ok(fd) => return Ok(fd),
        Err(err) => sys::errno_of(&err),
    };
    let mut size = INITIAL_LOG;
    loop {
        let mut log = vec![0u8; size];
        let (result, needed) = retry_eagain(|| attempt(Some(&mut log)));
        let errno = match result {
            // Loads are deterministic, but if the retry passes, take the program.
            Ok(fd) => return Ok(fd),
            Err(err) => sys::errno_of(&err),
        };
        if errno == libc::ENOSPC && size < MAX_LOG {
            size = (needed as usize).max(size * 4).min(MAX_LOG);
            continue;
        }
        let errno = if errno == libc::ENOSPC {
            first_errno
        } else {
            errno
        };
        let len = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        let text = String::from_utf8_lossy(&log[..len]).into_owned();
        return Err(Error::new(op, subject, errno).with_log(text));
    }
}

/// The verifier can give up with `EAGAIN` when interrupted; it is worth a few retries.
fn retry_eagain<T>(mut f: impl FnMut() -> (io::Result<T>, u32)) -> (io::Result<T>, u32) {
    let mut tries = 0;
    loop {
        let (result, needed) = f();
        match result {
            Err(err) if err.raw_os_error() == Some(libc::EAGAIN) && tries < 5 => tries += 1,
            result => return (result, needed),
        }
    }
}

fn record_count(bytes: &[u8], rec_size: u32, what: &str, name: &str) -> Result<u32> {
    if bytes.is_empty() {
        return Ok(0);
    }
    if bytes.len().checked_rem(rec_size as usize) != Some(0) {
        return Err(
            Error::new(Op::LoadProgram, name, libc::EINVAL).with_hint(if what == "func" {
                "malformed func_info"
            } else {
                "malformed line_info"
            }),
        );
    }
    u32::try_from(bytes.len() / rec_size as usize)
        .map_err(|_| Error::new(Op::LoadProgram, name, libc::E2BIG))
}

impl Program {
    /// Loads (and verifies) a program.
    pub fn load(spec: &ProgSpec<'_>) -> Result<Program> {
        let name_bytes = sys::object_name(spec.name);
        let name = sys::object_name_text(&name_bytes);
        let insn_cnt = u32::try_from(spec.insns.len())
            .map_err(|_| Error::new(Op::LoadProgram, name.clone(), libc::E2BIG))?;
        if insn_cnt == 0 {
            return Err(Error::new(Op::LoadProgram, name, libc::EINVAL)
                .with_hint("a program needs at least one instruction"));
        }
        let license = CString::new(spec.license).map_err(|_| {
            Error::new(Op::LoadProgram, name.clone(), libc::EINVAL)
                .with_hint("license contains a NUL byte")
        })?;
        let func_info_cnt = record_count(spec.func_info, spec.func_info_rec_size, "func", &name)?;
        let line_info_cnt = record_count(spec.line_info, spec.line_info_rec_size, "line", &name)?;
        let fd_or_zero = |fd: Option<BorrowedFd<'_>>| fd.map_or(0, |fd| fd.as_raw_fd() as u32);

        let fd = load_with_log(Op::LoadProgram, &name, |log| {
            let (log_level, log_buf, log_size) = match log {
                Some(buf) => (1, buf.as_mut_ptr() as u64, buf.len() as u32),
                None => (0, 0, 0),
            };
            let mut attr = ProgLoadAttr {
                prog_type: spec.kind.prog_type(),
                insn_cnt,
                insns: spec.insns.as_ptr() as u64,
                license: license.as_ptr() as u64,
                log_level,
                log_size,
                log_buf,
                prog_flags: spec.prog_flags,
                prog_name: name_bytes,
                expected_attach_type: spec.kind.expected_attach_type(),
                prog_btf_fd: fd_or_zero(spec.btf),
                func_info_rec_size: if func_info_cnt > 0 {
                    spec.func_info_rec_size
                } else {
                    0
                },
                func_info: if func_info_cnt > 0 {
                    spec.func_info.as_ptr() as u64
                } else {
                    0
                },
                func_info_cnt,
                line_info_rec_size: if line_info_cnt > 0 {
                    spec.line_info_rec_size
                } else {
                    0
                },
                line_info: if line_info_cnt > 0 {
                    spec.line_info.as_ptr() as u64
                } else {
                    0
                },
                line_info_cnt,
                attach_btf_id: spec.attach_btf_id,
                attach_btf_obj_fd: fd_or_zero(spec.attach_btf_obj_fd),
                ..ProgLoadAttr::default()
            };
            // SAFETY: insns points to insn_cnt 8-byte instructions; license is NUL-terminated;
            // func_info/line_info point to cnt * rec_size bytes (checked by record_count); the
            // log buffer, when present, is writable for log_size bytes. All outlive the call.
            let result = unsafe { sys::bpf_fd(Cmd::ProgLoad, &mut attr) };
            (result, attr.log_true_size)
        })?;
        Ok(Program {
            fd,
            kind: spec.kind,
            name,
        })
    }

    pub fn kind(&self) -> ProgKind {
        self.kind
    }

    /// The (sanitized) name the kernel knows the program by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Kernel information: id, run statistics, instruction counts.
    pub fn info(&self) -> io::Result<ProgInfo> {
        info::prog_info(self.fd.as_fd())
    }

    /// Runs the program once with `ctx` as its context (`BPF_PROG_TEST_RUN`) and returns its
    /// return value. For raw_tracepoint programs `ctx` is the argument array (at most 12 `u64`s;
    /// see [`Program::test_run_args`]); `cpu` pins the run to that CPU, otherwise it runs on the
    /// calling CPU. Tracepoint programs do not support test runs (`ENOTSUPP`).
    pub fn test_run(&self, ctx: &[u8], cpu: Option<u32>) -> io::Result<u32> {
        let ctx_size_in =
            u32::try_from(ctx.len()).map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?;
        let mut attr = TestRunAttr {
            prog_fd: self.fd.as_raw_fd() as u32,
            ctx_size_in,
            ctx_in: if ctx.is_empty() {
                0
            } else {
                ctx.as_ptr() as u64
            },
            flags: if cpu.is_some() {
                sys::TEST_RUN_ON_CPU
            } else {
                0
            },
            cpu: cpu.unwrap_or(0),
            ..TestRunAttr::default()
        };
        // SAFETY: ctx_in points to ctx_size_in readable bytes; no output buffers are given
        // (ctx_out/data_out are zero), so the kernel writes only into `attr`.
        unsafe { sys::bpf(Cmd::ProgTestRun, &mut attr) }?;
        Ok(attr.retval)
    }

    /// [`Program::test_run`] with raw_tracepoint arguments.
    pub fn test_run_args(&self, args: &[u64], cpu: Option<u32>) -> io::Result<u32> {
        let bytes: Vec<u8> = args.iter().flat_map(|arg| arg.to_ne_bytes()).collect();
        self.test_run(&bytes, cpu)
    }
}

impl AsFd for Program {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Program {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

/// `BPF_LD | BPF_IMM | BPF_DW`: the first half of a 64-bit immediate load.
const LD_IMM64: u8 = 0x18;
const PSEUDO_MAP_FD: u8 = 1;
const PSEUDO_MAP_VALUE: u8 = 2;
const PSEUDO_MAP_IDX: u8 = 5;
const PSEUDO_MAP_IDX_VALUE: u8 = 6;

fn src_reg(regs: u8) -> u8 {
    if cfg!(target_endian = "little") {
        regs >> 4
    } else {
        regs & 0x0f
    }
}

fn with_src_reg(regs: u8, src: u8) -> u8 {
    if cfg!(target_endian = "little") {
        (regs & 0x0f) | (src << 4)
    } else {
        (regs & 0xf0) | src
    }
}

/// Rewrites map references by index (`ld_imm64` with `src_reg` `BPF_PSEUDO_MAP_IDX` or
/// `BPF_PSEUDO_MAP_IDX_VALUE`, `imm` = index into `maps`) into references by descriptor
/// (`BPF_PSEUDO_MAP_FD` / `BPF_PSEUDO_MAP_VALUE`, `imm` = fd). The second word of a
/// `_VALUE` load (the offset into the value) is left alone. Returns how many loads were patched;
/// fails with `EINVAL` on an index outside `maps` or a truncated `ld_imm64`.
pub fn patch_map_fds(insns: &mut [u64], maps: &[BorrowedFd<'_>]) -> io::Result<usize> {
    let mut patched = 0;
    let mut pc = 0;
    while pc < insns.len() {
        let mut bytes = insns[pc].to_ne_bytes();
        if bytes[0] != LD_IMM64 {
            pc += 1;
            continue;
        }
        if pc + 1 >= insns.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "truncated ld_imm64",
            ));
        }
        let new_src = match src_reg(bytes[1]) {
            PSEUDO_MAP_IDX => Some(PSEUDO_MAP_FD),
            PSEUDO_MAP_IDX_VALUE => Some(PSEUDO_MAP_VALUE),
            _ => None,
        };
        if let Some(new_src) = new_src {
            let index = i32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            let fd = usize::try_from(index)
                .ok()
                .and_then(|i| maps.get(i))
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("map index {index} out of range"),
                    )
                })?;
            bytes[1] = with_src_reg(bytes[1], new_src);
            bytes[4..8].copy_from_slice(&fd.as_raw_fd().to_ne_bytes());
            insns[pc] = u64::from_ne_bytes(bytes);
            patched += 1;
        }
        pc += 2;
    }
    Ok(patched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
        let mut b = [0u8; 8];
        b[0] = code;
        b[1] = with_src_reg(
            if cfg!(target_endian = "little") {
                dst
            } else {
                dst << 4
            },
            src,
        );
        b[2..4].copy_from_slice(&off.to_ne_bytes());
        b[4..8].copy_from_slice(&imm.to_ne_bytes());
        u64::from_ne_bytes(b)
    }

    #[test]
    fn map_indices_become_descriptors() {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        let maps = [stdin.as_fd(), stdout.as_fd()];
        let mut insns = vec![
            insn(LD_IMM64, 1, PSEUDO_MAP_IDX, 0, 1),
            insn(0, 0, 0, 0, 0),
            insn(0xb7, 0, 0, 0, 7), // r0 = 7
            insn(LD_IMM64, 2, PSEUDO_MAP_IDX_VALUE, 0, 0),
            insn(0, 0, 0, 0, 16),
            insn(LD_IMM64, 3, 0, 0, 5), // plain 64-bit constant: untouched
            insn(0, 0, 0, 0, 0),
        ];
        let before = insns.clone();
        assert_eq!(patch_map_fds(&mut insns, &maps).unwrap(), 2);
        assert_eq!(insns[0], insn(LD_IMM64, 1, PSEUDO_MAP_FD, 0, 1));
        assert_eq!(insns[3], insn(LD_IMM64, 2, PSEUDO_MAP_VALUE, 0, 0));
        assert_eq!(insns[4], before[4]);
        assert_eq!(&insns[5..], &before[5..]);

        let mut bad = vec![insn(LD_IMM64, 1, PSEUDO_MAP_IDX, 0, 2), insn(0, 0, 0, 0, 0)];
        assert!(patch_map_fds(&mut bad, &maps).is_err());
        let mut truncated = vec![insn(LD_IMM64, 1, PSEUDO_MAP_IDX, 0, 0)];
        assert!(patch_map_fds(&mut truncated, &maps).is_err());
    }
}
