//! Attachments of programs to probe points. A [`Link`] owns the attachment: dropping it detaches.
//!
//! | Probe point | Program kind | Mechanism |
//! |---|---|---|
//! | raw tracepoint by name (`sys_enter`) | `RawTracepoint` | `BPF_RAW_TRACEPOINT_OPEN` (the only way for this program type; it yields a link) |
//! | BTF tracepoint / function | `TpBtf`, `Fentry`, `Fexit` | `BPF_LINK_CREATE`, falling back to `BPF_RAW_TRACEPOINT_OPEN` without a name |
//! | perf event (sampling, tracefs tracepoint, uprobe/kprobe PMU) | `PerfEvent`, `Tracepoint`, `Kprobe` | `BPF_LINK_CREATE` with `BPF_PERF_EVENT`, falling back to `PERF_EVENT_IOC_SET_BPF` |
//! | many uprobes in one file | `UprobeMulti` | `BPF_LINK_CREATE` with `BPF_TRACE_UPROBE_MULTI` (kernels >= 6.6) |
//!
//! **Teardown cost.** Measured on a 2-CPU 6.18 VM (release build, whole batch):
//!
//! | 360 attachments | attach | detach: sequential drop | detach: [`detach_all`] |
//! |---|---|---|---|
//! | raw tracepoint links on `sys_enter` | 6–20 ms | 5–18 ms | — |
//! | perf events on `syscalls:sys_enter_*` | 20–36 ms | 20–26 s | 9–11 s |
//!
//! Closing the last perf event of a tracepoint unregisters the perf callback and waits for
//! several RCU flavours' grace periods while holding the trace event mutex, so the waits largely
//! serialise (expedited RCU did not change this). [`detach_all`] overlaps what it can, about a
//! 2.5x gain; the real remedy is to not use perf events for probes enabled by the hundred: raw
//! tracepoints (syscalls through `sys_enter`/`sys_exit` filtered by number), tp_btf and
//! `uprobe_multi` links tear down in milliseconds.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Error, Op, Result};
use crate::info::{self, LinkInfo};
use crate::perf::PerfEvent;
use crate::prog::{ProgKind, Program};
use crate::sys::{self, Cmd, ENOTSUPP, LinkCreateAttr, RawTracepointAttr, attach_type};

// uprobe_multi passes `unsigned long` arrays, which we hand over as `u64` slices.
const _: () = assert!(size_of::<libc::c_ulong>() == size_of::<u64>());

/// `BPF_F_UPROBE_MULTI_RETURN`.
const UPROBE_MULTI_RETURN: u32 = 1;

/// An attached program. Dropping it detaches the program (and closes the perf event, if any).
#[derive(Debug)]
pub struct Link {
    // Field order is drop order: the BPF link goes before the perf event it points to.
    fd: Option<OwnedFd>,
    event: Option<PerfEvent>,
}

/// Where a `uprobe_multi` link attaches.
#[derive(Clone, Copy, Debug)]
pub struct UprobeMultiSpec<'a> {
    /// The executable or library.
    pub path: &'a Path,
    /// File offsets of the probed instructions.
    pub offsets: &'a [u64],
    /// USDT semaphore offsets, one per probe (empty: none).
    pub ref_ctr_offsets: &'a [u64],
    /// Values for `bpf_get_attach_cookie`, one per probe (empty: none).
    pub cookies: &'a [u64],
    /// Only this process (`None`: every process mapping the file).
    pub pid: Option<u32>,
    /// Fire on return (uretprobes).
    pub retprobe: bool,
}

fn unsupported(errno: i32) -> bool {
    matches!(errno, libc::EINVAL | libc::EOPNOTSUPP | ENOTSUPP)
}

fn raw_tracepoint_open(prog: &Program, name: Option<&CString>) -> io::Result<OwnedFd> {
    let mut attr = RawTracepointAttr {
        name: name.map_or(0, |name| name.as_ptr() as u64),
        prog_fd: prog.as_raw_fd() as u32,
        ..RawTracepointAttr::default()
    };
    // SAFETY: `name` is zero or a NUL-terminated string alive for the call; the command returns
    // a new link descriptor.
    unsafe { sys::bpf_fd(Cmd::RawTracepointOpen, &mut attr) }
}

fn link_create(attr: &mut LinkCreateAttr) -> io::Result<OwnedFd> {
    // SAFETY: callers only store pointers to live arrays/strings (sized by `cnt`) in `attr`;
    // the command returns a new link descriptor.
    unsafe { sys::bpf_fd(Cmd::LinkCreate, attr) }
}

impl Link {
    /// Attaches a `RawTracepoint` program to the raw tracepoint `name` (e.g. `sys_enter`,
    /// `sched_switch`).
    pub fn raw_tracepoint(prog: &Program, name: &str) -> Result<Link> {
        let name_c = CString::new(name)
            .map_err(|_| Error::new(Op::AttachRawTracepoint, name, libc::EINVAL))?;
        let fd = raw_tracepoint_open(prog, Some(&name_c))
            .map_err(|err| Error::from_io(Op::AttachRawTracepoint, name, &err))?;
        Ok(Link {
            fd: Some(fd),
            event: None,
        })
    }

    /// Attaches a `TpBtf`, `Fentry` or `Fexit` program to the target its `attach_btf_id` named
    /// at load time.
    pub fn tracing(prog: &Program) -> Result<Link> {
        if !prog.kind().is_btf_tracing() {
            return Err(Error::new(Op::AttachTracing, prog.name(), libc::EINVAL)
                .with_hint("only tp_btf, fentry and fexit programs attach this way"));
        }
        let mut attr = LinkCreateAttr {
            prog_fd: prog.as_raw_fd() as u32,
            attach_type: prog.kind().expected_attach_type(),
            ..LinkCreateAttr::default()
        };
        let fd = match link_create(&mut attr) {
            Ok(fd) => fd,
            // Older kernels attach tracing programs only through an unnamed raw tracepoint.
            Err(err) if unsupported(sys::errno_of(&err)) => raw_tracepoint_open(prog, None)
                .map_err(|err| Error::from_io(Op::AttachTracing, prog.name(), &err))?,
            Err(err) => return Err(Error::from_io(Op::AttachTracing, prog.name(), &err)),
        };
        Ok(Link {
            fd: Some(fd),
            event: None,
        })
    }

    /// Attaches an `UprobeMulti` program to many offsets of one file with a single link
    /// (see [`crate::features::uprobe_multi_available`]).
    pub fn uprobe_multi(prog: &Program, spec: &UprobeMultiSpec<'_>) -> Result<Link> {
        let subject = format!("{} ({} offsets)", spec.path.display(), spec.offsets.len());
        let fail = |errno: i32| Error::new(Op::AttachUprobeMulti, subject.clone(), errno);
        if prog.kind() != ProgKind::UprobeMulti {
            return Err(fail(libc::EINVAL).with_hint("program was not loaded as UprobeMulti"));
        }
        let cnt = u32::try_from(spec.offsets.len()).map_err(|_| fail(libc::E2BIG))?;
        let matches_len = |a: &[u64]| a.is_empty() || a.len() == spec.offsets.len();
        if cnt == 0 || !matches_len(spec.ref_ctr_offsets) || !matches_len(spec.cookies) {
            return Err(fail(libc::EINVAL)
                .with_hint("offsets must be non-empty; semaphores and cookies one per offset"));
        }
        let path_c =
            CString::new(spec.path.as_os_str().as_bytes()).map_err(|_| fail(libc::EINVAL))?;
        let ptr_or_null = |a: &[u64]| if a.is_empty() { 0 } else { a.as_ptr() as u64 };
        let mut attr = LinkCreateAttr {
            prog_fd: prog.as_raw_fd() as u32,
            attach_type: attach_type::TRACE_UPROBE_MULTI,
            union_word1: spec.offsets.as_ptr() as u64,
            ref_ctr_offsets: ptr_or_null(spec.ref_ctr_offsets),
            cookies: ptr_or_null(spec.cookies),
            cnt,
            multi_flags: if spec.retprobe {
                UPROBE_MULTI_RETURN
            } else {
                0
            },
            pid: spec.pid.unwrap_or(0),
            ..LinkCreateAttr::default()
        };
        attr.set_word0(path_c.as_ptr() as u64);
        // `path_c` and the arrays (all `cnt` long) outlive the call below.
        let fd = link_create(&mut attr).map_err(|err| fail(sys::errno_of(&err)))?;
        drop(path_c);
        Ok(Link {
            fd: Some(fd),
            event: None,
        })
    }

    /// Kernel information about the BPF link (`None` for perf events attached by ioctl, which
    /// have no link object).
    pub fn info(&self) -> Option<io::Result<LinkInfo>> {
        self.fd.as_ref().map(|fd| info::link_info(fd.as_fd()))
    }

    /// The perf event this link attaches to, if any.
    pub fn perf_event(&self) -> Option<&PerfEvent> {
        self.event.as_ref()
    }

    /// The link descriptor, if the attachment is a BPF link.
    pub fn link_fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }
}

/// Attaches `prog` to `event` and enables the event.
pub(crate) fn attach_perf_event(event: PerfEvent, prog: &Program, cookie: u64) -> Result<Link> {
    let fail = |err: &io::Error| Error::from_io(Op::AttachPerfEvent, event.description(), err);
    let mut attr = LinkCreateAttr {
        prog_fd: prog.as_raw_fd() as u32,
        target_fd: event.as_raw_fd() as u32,
        attach_type: attach_type::PERF_EVENT,
        ..LinkCreateAttr::default()
    };
    attr.set_word0(cookie);
    let fd = match link_create(&mut attr) {
        Ok(fd) => Some(fd),
        // Perf links arrived in 5.15; before that the ioctl attaches (without a cookie).
        Err(err) if unsupported(sys::errno_of(&err)) => {
            let prog_fd = prog.as_raw_fd() as libc::c_ulong;
            sys::perf_ioctl(event.as_raw_fd(), sys::PERF_EVENT_IOC_SET_BPF, prog_fd)
                .map_err(|err| fail(&err))?;
            None
        }
        Err(err) => return Err(fail(&err)),
    };
    event.enable().map_err(|err| fail(&err))?;
    Ok(Link {
        fd,
        event: Some(event),
    })
}

/// Drops `links` from several threads at once, so that the grace-period waits of perf-event
/// attachments overlap where the kernel allows (see the module documentation for the gain).
/// Returns when every link is detached.
pub fn detach_all(links: Vec<Link>) {
    const THREADS: usize = 64;
    if links.len() <= 1 {
        return;
    }
    let per_thread = links.len().div_ceil(THREADS);
    let mut links = links;
    std::thread::scope(|scope| {
        while !links.is_empty() {
            let take = per_thread.min(links.len());
            let batch: Vec<Link> = links.drain(..take).collect();
            if std::thread::Builder::new()
                .spawn_scoped(scope, move || drop(batch))
                .is_err()
            {
                // Could not start a thread: the batch was dropped here instead, sequentially.
            }
        }
    });
}
