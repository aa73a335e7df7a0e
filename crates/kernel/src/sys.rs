//! Raw system calls: `bpf(2)`, `perf_event_open(2)` and the attribute blocks they take.
//!
//! `union bpf_attr` is one large union in the kernel; each command reads only its own member. We
//! declare one `#[repr(C)]` struct per member with every padding byte spelled out as a field, so
//! the whole block is initialised and zero wherever we set nothing. The kernel copies
//! `min(size, sizeof(union bpf_attr))` bytes and requires any bytes past its own idea of the union
//! to be zero, so passing a struct that is shorter than the newest union (or longer than an older
//! kernel's, with a zero tail) is accepted everywhere.
//!
//! Pointers inside attribute blocks travel as `u64`. The functions here are `unsafe` because the
//! kernel dereferences those pointers: callers promise that each one is valid for the access the
//! command makes (read for inputs, write for outputs) for the duration of the call.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `enum bpf_cmd` values we issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Cmd {
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ProgTestRun = 10,
    ProgGetNextId = 11,
    MapGetNextId = 12,
    ObjGetInfoByFd = 15,
    RawTracepointOpen = 17,
    BtfLoad = 18,
    MapFreeze = 22,
    MapLookupBatch = 24,
    LinkCreate = 28,
    LinkGetNextId = 31,
    EnableStats = 32,
}

/// `enum bpf_attach_type` values we use.
pub(crate) mod attach_type {
    pub const TRACE_RAW_TP: u32 = 23;
    pub const TRACE_FENTRY: u32 = 24;
    pub const TRACE_FEXIT: u32 = 25;
    pub const PERF_EVENT: u32 = 41;
    pub const TRACE_UPROBE_MULTI: u32 = 48;
}

/// The kernel-internal "not supported" errno that leaks out of some bpf commands.
pub(crate) const ENOTSUPP: i32 = 524;

/// `BPF_MAP_CREATE`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}

/// `BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM` and `BPF_MAP_GET_NEXT_KEY`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapElemAttr {
    pub map_fd: u32,
    pub _pad0: u32,
    pub key: u64,
    /// `value`, or `next_key` for `BPF_MAP_GET_NEXT_KEY`.
    pub value: u64,
    pub flags: u64,
}

/// `BPF_MAP_*_BATCH`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapBatchAttr {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

/// `BPF_MAP_FREEZE` and other commands that take a single fd.
#[repr(C)]
#[derive(Default)]
pub(crate) struct FdAttr {
    pub fd: u32,
    pub _pad0: u32,
}

/// `BPF_PROG_LOAD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgLoadAttr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_btf_obj_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    /// Written by kernels >= 6.4: the log size the verifier needed.
    pub log_true_size: u32,
}

/// `BPF_BTF_LOAD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct BtfLoadAttr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
}

/// `BPF_PROG_TEST_RUN`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct TestRunAttr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub _pad0: u32,
}

/// `BPF_F_TEST_RUN_ON_CPU`.
pub(crate) const TEST_RUN_ON_CPU: u32 = 1;

/// `BPF_{PROG,MAP,LINK}_GET_NEXT_ID`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct GetNextIdAttr {
    pub start_id: u32,
    pub next_id: u32,
    pub open_flags: u32,
    pub _pad0: u32,
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct InfoByFdAttr {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// `BPF_RAW_TRACEPOINT_OPEN`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct RawTracepointAttr {
    pub name: u64,
    pub prog_fd: u32,
    pub _pad0: u32,
    /// Honoured by kernels >= 6.10 (`bpf_get_attach_cookie`).
    pub cookie: u64,
}

/// `BPF_LINK_CREATE`: the fixed head followed by the per-attach-type union, laid out as the
/// `uprobe_multi` member (the largest one we use). Other members alias its first words: the
/// `u32 target_btf_id` is the first four bytes of `path`, `perf_event.bpf_cookie` is `path`,
/// `tracing.cookie` is `offsets`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkCreateAttr {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    /// `uprobe_multi.path`, `perf_event.bpf_cookie`, or `target_btf_id` in its first 4 bytes.
    pub union_word0: [u8; 8],
    /// `uprobe_multi.offsets`, or `tracing.cookie`.
    pub union_word1: u64,
    pub ref_ctr_offsets: u64,
    pub cookies: u64,
    pub cnt: u32,
    pub multi_flags: u32,
    pub pid: u32,
    pub _pad0: u32,
}

impl LinkCreateAttr {
    /// Sets the 64-bit first word of the union (a pointer or a perf-event cookie).
    pub fn set_word0(&mut self, value: u64) {
        self.union_word0 = value.to_ne_bytes();
    }
}

/// `BPF_ENABLE_STATS`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct EnableStatsAttr {
    pub stats_type: u32,
    pub _pad0: u32,
}

/// `struct perf_event_attr` up to `config3` (`PERF_ATTR_SIZE_VER8`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct PerfEventAttr {
    pub event_type: u32,
    pub size: u32,
    pub config: u64,
    /// `sample_period`, or `sample_freq` when [`perf_flags::FREQ`] is set.
    pub sample_period_or_freq: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    /// `config1`; the probe path or function name for uprobe/kprobe PMUs.
    pub config1: u64,
    /// `config2`; the probe offset for uprobe/kprobe PMUs.
    pub config2: u64,
    pub branch_sample_type: u64,
    pub sample_regs_user: u64,
    pub sample_stack_user: u32,
    pub clockid: i32,
    pub sample_regs_intr: u64,
    pub aux_watermark: u32,
    pub sample_max_stack: u16,
    pub _reserved2: u16,
    pub aux_sample_size: u32,
    pub aux_action: u32,
    pub sig_data: u64,
    pub config3: u64,
}

/// Bits of `perf_event_attr.flags`.
pub(crate) mod perf_flags {
    pub const DISABLED: u64 = 1 << 0;
    pub const FREQ: u64 = 1 << 10;
}

pub(crate) const PERF_TYPE_SOFTWARE: u32 = 1;
pub(crate) const PERF_TYPE_TRACEPOINT: u32 = 2;
pub(crate) const PERF_COUNT_SW_CPU_CLOCK: u64 = 0;
pub(crate) const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;

/// `_IO('$', 0)`.
pub(crate) const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
/// `_IO('$', 1)`.
pub(crate) const PERF_EVENT_IOC_DISABLE: libc::c_ulong = 0x2401;
/// `_IOW('$', 8, __u32)`.
pub(crate) const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;

const _: () = {
    assert!(size_of::<MapCreateAttr>() == 72);
    assert!(size_of::<MapElemAttr>() == 32);
    assert!(size_of::<MapBatchAttr>() == 56);
    assert!(size_of::<ProgLoadAttr>() == 144);
    assert!(size_of::<BtfLoadAttr>() == 32);
    assert!(size_of::<TestRunAttr>() == 80);
    assert!(size_of::<RawTracepointAttr>() == 24);
    assert!(size_of::<LinkCreateAttr>() == 64);
    assert!(size_of::<PerfEventAttr>() == 136);
};

/// Marker for the attribute structs above: plain `#[repr(C)]` data without implicit padding.
pub(crate) trait Attr {}
impl Attr for MapCreateAttr {}
impl Attr for MapElemAttr {}
impl Attr for MapBatchAttr {}
impl Attr for FdAttr {}
impl Attr for ProgLoadAttr {}
impl Attr for BtfLoadAttr {}
impl Attr for TestRunAttr {}
impl Attr for GetNextIdAttr {}
impl Attr for InfoByFdAttr {}
impl Attr for RawTracepointAttr {}
impl Attr for LinkCreateAttr {}
impl Attr for EnableStatsAttr {}

/// Issues `bpf(cmd, attr, sizeof attr)` and returns the non-negative result.
///
/// # Safety
/// Every pointer stored in `attr` must be valid for the reads and writes `cmd` performs through
/// it for the duration of the call.
pub(crate) unsafe fn bpf<A: Attr>(cmd: Cmd, attr: &mut A) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a live, exclusively borrowed, fully initialised struct of the size we
    // pass; the pointers inside it are the caller's responsibility (see above).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut A,
            size_of::<A>() as libc::c_uint,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Like [`bpf`] for commands that return a new file descriptor.
///
/// # Safety
/// As for [`bpf`], and `cmd` must be a command whose non-negative result is a new descriptor.
pub(crate) unsafe fn bpf_fd<A: Attr>(cmd: Cmd, attr: &mut A) -> io::Result<OwnedFd> {
    // SAFETY: forwarded from the caller's contract.
    let fd = unsafe { bpf(cmd, attr) }?;
    // SAFETY: the command returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)`.
///
/// # Safety
/// `config1` of `attr` must be zero or point to a NUL-terminated string that stays alive for the
/// call when the event's PMU interprets it as one (uprobe and kprobe PMUs).
pub(crate) unsafe fn perf_event_open(
    attr: &mut PerfEventAttr,
    pid: libc::pid_t,
    cpu: libc::c_int,
) -> io::Result<OwnedFd> {
    attr.size = size_of::<PerfEventAttr>() as u32;
    // SAFETY: `attr` is a live, initialised `perf_event_attr` whose `size` field is correct; the
    // string in `config1` is the caller's responsibility.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr as *mut PerfEventAttr,
            pid,
            cpu,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: perf_event_open returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// An `ioctl` on a perf event descriptor with an integer argument.
pub(crate) fn perf_ioctl(fd: RawFd, request: libc::c_ulong, arg: libc::c_ulong) -> io::Result<()> {
    // SAFETY: the perf ioctls we issue take an integer argument (not a pointer), so no memory is
    // accessed on our behalf; an invalid fd only yields EBADF.
    let ret = unsafe { libc::ioctl(fd, request as _, arg) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The raw errno of an I/O error (0 when it carries none).
pub(crate) fn errno_of(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(0)
}

/// Copies `name` into a kernel object name: `[A-Za-z0-9_.]`, at most 15 bytes plus NUL; other
/// characters become `_`.
pub(crate) fn object_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (slot, byte) in out.iter_mut().take(15).zip(name.bytes()) {
        *slot = if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' {
            byte
        } else {
            b'_'
        };
    }
    out
}

/// The name as the kernel will show it (the sanitized bytes up to the NUL).
pub(crate) fn object_name_text(name: &[u8; 16]) -> String {
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    String::from_utf8_lossy(&name[..len]).into_owned()
}

/// The page size of this machine.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_sanitized_and_truncated() {
        assert_eq!(&object_name("dt_agg-1:x")[..11], b"dt_agg_1_x\0");
        let long = object_name("abcdefghijklmnopqrstuvwxyz");
        assert_eq!(&long[..15], b"abcdefghijklmno");
        assert_eq!(long[15], 0);
        assert_eq!(&object_name("a.b_c")[..6], b"a.b_c\0");
    }
}
