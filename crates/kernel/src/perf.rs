//! Perf events: cpu-clock sampling, tracefs tracepoints, and probes through the uprobe and
//! kprobe PMUs.
//!
//! Every event is opened *disabled*; [`PerfEvent::attach`] attaches a program and then enables
//! it, so the program never misses the first firing and nothing fires unobserved. Probes are
//! created through their PMU (`/sys/bus/event_source/devices/{uprobe,kprobe}`) with the target
//! in `config1`/`config2`, not by writing tracefs text files, so they vanish with the descriptor
//! and cannot leak if the tracer dies.
//!
//! Which CPU to open on: a sampling event counts on its CPU only, so profiling needs one event
//! per online CPU. A tracepoint or probe event opened system-wide (`pid = -1`) needs *some* CPU
//! (`cpu = -1` is `EINVAL`), but the attached program runs on whichever CPU hits the probe, so
//! one event opened on CPU 0 covers the machine.
//!
//! Teardown cost: closing a tracepoint or probe perf event waits for RCU grace periods under a
//! kernel mutex, which made detaching 360 syscall tracepoint events take 20–26 s where raw
//! tracepoint links took milliseconds (see [`crate::link`] for measurements). Prefer raw
//! tracepoints, tp_btf and `uprobe_multi` links for probes enabled by the hundred.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Error, Op, Result};
use crate::sys::{self, PerfEventAttr, perf_flags};

/// An open perf event; closed (and any attached program detached) on drop.
#[derive(Debug)]
pub struct PerfEvent {
    fd: OwnedFd,
    desc: String,
}

/// Options for [`PerfEvent::uprobe`].
#[derive(Clone, Copy, Debug, Default)]
pub struct UprobeOptions {
    /// Fire on function return instead of at the offset.
    pub retprobe: bool,
    /// File offset of a USDT semaphore the kernel increments while the probe exists (0: none).
    pub ref_ctr_offset: u64,
    /// Only this process (`None`: every process that maps the file).
    pub pid: Option<u32>,
}

const PMU_DIR: &str = "/sys/bus/event_source/devices";

/// Whether the kernel has the kprobe PMU (`CONFIG_KPROBES` with perf support). Without it the
/// function boundary provider cannot work.
pub fn kprobes_available() -> bool {
    Path::new(PMU_DIR).join("kprobe/type").exists()
}

/// Whether the kernel has the uprobe PMU.
pub fn uprobes_available() -> bool {
    Path::new(PMU_DIR).join("uprobe/type").exists()
}

fn pmu_type(pmu: &str) -> io::Result<u32> {
    let text = std::fs::read_to_string(Path::new(PMU_DIR).join(pmu).join("type"))?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad {pmu} PMU type")))
}

/// The first bit of a PMU format field, e.g. `config:0` or `config:32-63`.
fn pmu_config_bit(pmu: &str, field: &str) -> io::Result<u32> {
    let text = std::fs::read_to_string(Path::new(PMU_DIR).join(pmu).join("format").join(field))?;
    parse_config_bit(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad {pmu} format for {field}"),
        )
    })
}

fn parse_config_bit(text: &str) -> Option<u32> {
    let bits = text.trim().strip_prefix("config:")?;
    let first = bits.split('-').next()?;
    first.parse().ok().filter(|&bit| bit < 64)
}

impl PerfEvent {
    fn open(attr: &mut PerfEventAttr, pid: i32, cpu: i32, desc: String) -> Result<PerfEvent> {
        attr.flags |= perf_flags::DISABLED;
        // SAFETY: config1 is zero or set by our callers to a CString they keep alive across this
        // call.
        let fd = unsafe { sys::perf_event_open(attr, pid, cpu) }
            .map_err(|err| Error::from_io(Op::OpenPerfEvent, desc.clone(), &err))?;
        Ok(PerfEvent { fd, desc })
    }

    /// A cpu-clock sampling event on `cpu` firing every `period_ns` nanoseconds of CPU time.
    /// An idle (tickless) CPU fires rarely.
    pub fn cpu_clock(cpu: u32, period_ns: u64) -> Result<PerfEvent> {
        let mut attr = PerfEventAttr {
            event_type: sys::PERF_TYPE_SOFTWARE,
            config: sys::PERF_COUNT_SW_CPU_CLOCK,
            sample_period_or_freq: period_ns.max(1),
            ..PerfEventAttr::default()
        };
        Self::open(&mut attr, -1, cpu as i32, format!("cpu-clock on CPU {cpu}"))
    }

    /// A cpu-clock sampling event on `cpu` at about `hz` samples per second.
    pub fn cpu_clock_frequency(cpu: u32, hz: u64) -> Result<PerfEvent> {
        let mut attr = PerfEventAttr {
            event_type: sys::PERF_TYPE_SOFTWARE,
            config: sys::PERF_COUNT_SW_CPU_CLOCK,
            sample_period_or_freq: hz.max(1),
            flags: perf_flags::FREQ,
            ..PerfEventAttr::default()
        };
        Self::open(&mut attr, -1, cpu as i32, format!("cpu-clock on CPU {cpu}"))
    }

    /// The tracefs event with id `id` (see [`crate::Tracefs::event_id`]), system-wide.
    pub fn tracepoint(id: u32, cpu: u32) -> Result<PerfEvent> {
        let mut attr = PerfEventAttr {
            event_type: sys::PERF_TYPE_TRACEPOINT,
            config: u64::from(id),
            sample_period_or_freq: 1,
            wakeup_events: 1,
            ..PerfEventAttr::default()
        };
        Self::open(&mut attr, -1, cpu as i32, format!("tracepoint {id}"))
    }

    /// A uprobe (or uretprobe) at file offset `offset` of the executable or library at `path`.
    pub fn uprobe(path: &Path, offset: u64, options: &UprobeOptions) -> Result<PerfEvent> {
        let kind = if options.retprobe {
            "uretprobe"
        } else {
            "uprobe"
        };
        let desc = format!("{kind} {}:{offset:#x}", path.display());
        let pmu = |err: io::Error| {
            Error::from_io(Op::OpenPerfEvent, desc.clone(), &err)
                .with_hint("the kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS)")
        };
        let pmu_type = pmu_type("uprobe").map_err(pmu)?;
        let mut config = 0;
        if options.retprobe {
            config |= 1 << pmu_config_bit("uprobe", "retprobe").map_err(pmu)?;
        }
        if options.ref_ctr_offset != 0 {
            let shift = pmu_config_bit("uprobe", "ref_ctr_offset").map_err(pmu)?;
            if options.ref_ctr_offset.leading_zeros() < shift {
                return Err(Error::new(Op::OpenPerfEvent, desc, libc::EINVAL)
                    .with_hint("semaphore offset too large for the uprobe PMU"));
            }
            config |= options.ref_ctr_offset << shift;
        }
        let path_c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| Error::new(Op::OpenPerfEvent, desc.clone(), libc::EINVAL))?;
        let mut attr = PerfEventAttr {
            event_type: pmu_type,
            config,
            config1: path_c.as_ptr() as u64,
            config2: offset,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            ..PerfEventAttr::default()
        };
        let (pid, cpu) = match options.pid {
            Some(pid) => (pid as i32, -1),
            None => (-1, 0),
        };
        let event = Self::open(&mut attr, pid, cpu, desc);
        drop(path_c);
        event
    }

    /// A kprobe (or kretprobe) at `function + offset`, where the kernel has kprobes
    /// ([`kprobes_available`]).
    pub fn kprobe(function: &str, offset: u64, retprobe: bool) -> Result<PerfEvent> {
        let kind = if retprobe { "kretprobe" } else { "kprobe" };
        let desc = format!("{kind} {function}+{offset:#x}");
        let pmu = |err: io::Error| {
            Error::from_io(Op::OpenPerfEvent, desc.clone(), &err)
                .with_hint("the kernel has no kprobe PMU (CONFIG_KPROBES)")
        };
        let pmu_type = pmu_type("kprobe").map_err(pmu)?;
        let config = if retprobe {
            1 << pmu_config_bit("kprobe", "retprobe").map_err(pmu)?
        } else {
            0
        };
        let func_c = CString::new(function)
            .map_err(|_| Error::new(Op::OpenPerfEvent, desc.clone(), libc::EINVAL))?;
        let mut attr = PerfEventAttr {
            event_type: pmu_type,
            config,
            config1: func_c.as_ptr() as u64,
            config2: offset,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            ..PerfEventAttr::default()
        };
        let event = Self::open(&mut attr, -1, 0, desc);
        drop(func_c);
        event
    }

    /// What the event is, for messages.
    pub fn description(&self) -> &str {
        &self.desc
    }

    pub fn enable(&self) -> io::Result<()> {
        sys::perf_ioctl(self.fd.as_raw_fd(), sys::PERF_EVENT_IOC_ENABLE, 0)
    }

    pub fn disable(&self) -> io::Result<()> {
        sys::perf_ioctl(self.fd.as_raw_fd(), sys::PERF_EVENT_IOC_DISABLE, 0)
    }

    /// Attaches `prog` (a `PerfEvent`, `Tracepoint` or `Kprobe` program) and enables the event.
    /// `cookie` is returned by `bpf_get_attach_cookie` (kernels >= 5.15; older kernels attach
    /// through `PERF_EVENT_IOC_SET_BPF`, which has no cookie).
    pub fn attach(self, prog: &crate::Program, cookie: u64) -> Result<crate::Link> {
        crate::link::attach_perf_event(self, prog, cookie)
    }
}

impl AsFd for PerfEvent {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for PerfEvent {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pmu_format_fields() {
        assert_eq!(parse_config_bit("config:0\n"), Some(0));
        assert_eq!(parse_config_bit("config:32-63\n"), Some(32));
        assert_eq!(parse_config_bit("config1:0"), None);
        assert_eq!(parse_config_bit("config:64"), None);
    }
}
