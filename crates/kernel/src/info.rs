//! Introspection of loaded BPF objects: `BPF_OBJ_GET_INFO_BY_FD`, the `*_GET_NEXT_ID` walks and
//! `BPF_ENABLE_STATS`.
//!
//! Run counts and run times of programs are only collected while statistics are enabled, either
//! by the `kernel.bpf_stats_enabled` sysctl or by holding the descriptor [`enable_stats`] returns
//! (the kernel counts holders; dropping the guard turns collection off again).
//!
//! The id walks list every object on the machine, ours or not; tests use them to prove that
//! dropping our handles really removed our programs, maps and links.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Op, Result};
use crate::sys::{self, Cmd, EnableStatsAttr, GetNextIdAttr, InfoByFdAttr};

/// `struct bpf_prog_info` up to `attach_btf_id`.
#[repr(C)]
#[derive(Default)]
struct RawProgInfo {
    prog_type: u32,
    id: u32,
    tag: [u8; 8],
    jited_prog_len: u32,
    xlated_prog_len: u32,
    jited_prog_insns: u64,
    xlated_prog_insns: u64,
    load_time: u64,
    created_by_uid: u32,
    nr_map_ids: u32,
    map_ids: u64,
    name: [u8; 16],
    ifindex: u32,
    gpl_compatible: u32,
    netns_dev: u64,
    netns_ino: u64,
    nr_jited_ksyms: u32,
    nr_jited_func_lens: u32,
    jited_ksyms: u64,
    jited_func_lens: u64,
    btf_id: u32,
    func_info_rec_size: u32,
    func_info: u64,
    nr_func_info: u32,
    nr_line_info: u32,
    line_info: u64,
    jited_line_info: u64,
    nr_jited_line_info: u32,
    line_info_rec_size: u32,
    jited_line_info_rec_size: u32,
    nr_prog_tags: u32,
    prog_tags: u64,
    run_time_ns: u64,
    run_cnt: u64,
    recursion_misses: u64,
    verified_insns: u32,
    attach_btf_obj_id: u32,
    attach_btf_id: u32,
    _pad0: u32,
}

/// `struct bpf_map_info` up to `map_extra`.
#[repr(C)]
#[derive(Default)]
struct RawMapInfo {
    map_type: u32,
    id: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    name: [u8; 16],
    ifindex: u32,
    btf_vmlinux_value_type_id: u32,
    netns_dev: u64,
    netns_ino: u64,
    btf_id: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_id: u32,
    map_extra: u64,
}

/// The fixed head of `struct bpf_link_info` (the per-type union is left unrequested).
#[repr(C)]
#[derive(Default)]
struct RawLinkInfo {
    link_type: u32,
    id: u32,
    prog_id: u32,
    _pad0: u32,
}

const _: () = {
    assert!(size_of::<RawProgInfo>() == 232);
    assert!(size_of::<RawMapInfo>() == 88);
};

/// What the kernel reports about a loaded program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgInfo {
    pub id: u32,
    /// `enum bpf_prog_type`.
    pub prog_type: u32,
    pub name: String,
    /// The program's tag (a hash of its instructions), as `bpftool` shows it.
    pub tag: [u8; 8],
    /// Runs counted while statistics were enabled.
    pub run_count: u64,
    /// Total run time (ns) counted while statistics were enabled.
    pub run_time_ns: u64,
    /// Instructions after the verifier's rewriting.
    pub xlated_insn_count: u32,
    /// Bytes of JIT-compiled code (0 without a JIT).
    pub jited_len: u32,
    /// Instructions the verifier processed (kernels >= 5.16; 0 before).
    pub verified_insns: u32,
    /// Runs skipped because the program was already running on that CPU.
    pub recursion_misses: u64,
}

/// What the kernel reports about a map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub id: u32,
    /// `enum bpf_map_type`.
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    pub name: String,
}

/// What the kernel reports about a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub id: u32,
    /// `enum bpf_link_type`.
    pub link_type: u32,
    pub prog_id: u32,
}

/// Fills `info` for the object behind `fd`.
///
/// # Safety
/// `T` must be one of the `Raw*Info` structs above: plain data whose pointer fields are zero, so
/// the kernel writes only into `info` itself.
unsafe fn obj_info<T>(fd: BorrowedFd<'_>, info: &mut T) -> io::Result<()> {
    let mut attr = InfoByFdAttr {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: size_of::<T>() as u32,
        info: info as *mut T as u64,
    };
    // SAFETY: `attr.info` points to `info`, writable for `info_len` bytes; `info` holds no
    // non-zero pointers for the kernel to follow (caller's contract).
    unsafe { sys::bpf(Cmd::ObjGetInfoByFd, &mut attr) }?;
    Ok(())
}

fn c_name(bytes: &[u8]) -> String {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

/// Information about the program behind `fd`.
pub fn prog_info(fd: BorrowedFd<'_>) -> io::Result<ProgInfo> {
    let mut raw = RawProgInfo::default();
    // SAFETY: RawProgInfo is a Raw*Info struct with all pointer fields zero.
    unsafe { obj_info(fd, &mut raw) }?;
    Ok(ProgInfo {
        id: raw.id,
        prog_type: raw.prog_type,
        name: c_name(&raw.name),
        tag: raw.tag,
        run_count: raw.run_cnt,
        run_time_ns: raw.run_time_ns,
        xlated_insn_count: raw.xlated_prog_len / 8,
        jited_len: raw.jited_prog_len,
        verified_insns: raw.verified_insns,
        recursion_misses: raw.recursion_misses,
    })
}

/// Information about the map behind `fd`.
pub fn map_info(fd: BorrowedFd<'_>) -> io::Result<MapInfo> {
    let mut raw = RawMapInfo::default();
    // SAFETY: RawMapInfo is a Raw*Info struct with no pointer fields.
    unsafe { obj_info(fd, &mut raw) }?;
    Ok(MapInfo {
        id: raw.id,
        map_type: raw.map_type,
        key_size: raw.key_size,
        value_size: raw.value_size,
        max_entries: raw.max_entries,
        flags: raw.map_flags,
        name: c_name(&raw.name),
    })
}

/// Information about the link behind `fd`.
pub fn link_info(fd: BorrowedFd<'_>) -> io::Result<LinkInfo> {
    let mut raw = RawLinkInfo::default();
    // SAFETY: RawLinkInfo is a Raw*Info struct with no pointer fields.
    unsafe { obj_info(fd, &mut raw) }?;
    Ok(LinkInfo {
        id: raw.id,
        link_type: raw.link_type,
        prog_id: raw.prog_id,
    })
}

fn ids(cmd: Cmd) -> io::Result<Vec<u32>> {
    let mut ids = Vec::new();
    let mut attr = GetNextIdAttr::default();
    loop {
        // SAFETY: the GET_NEXT_ID commands carry no pointers.
        match unsafe { sys::bpf(cmd, &mut attr) } {
            Ok(_) => {
                ids.push(attr.next_id);
                attr.start_id = attr.next_id;
            }
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => return Ok(ids),
            Err(err) => return Err(err),
        }
    }
}

/// Ids of every BPF program loaded on the machine.
pub fn prog_ids() -> io::Result<Vec<u32>> {
    ids(Cmd::ProgGetNextId)
}

/// Ids of every BPF map on the machine.
pub fn map_ids() -> io::Result<Vec<u32>> {
    ids(Cmd::MapGetNextId)
}

/// Ids of every BPF link on the machine.
pub fn link_ids() -> io::Result<Vec<u32>> {
    ids(Cmd::LinkGetNextId)
}

/// Keeps run-time statistics (run counts and times) enabled while alive.
#[derive(Debug)]
pub struct StatsGuard {
    _fd: OwnedFd,
}

/// Enables run-time statistics for all programs until the guard is dropped (`BPF_ENABLE_STATS`,
/// kernels >= 5.8).
pub fn enable_stats() -> Result<StatsGuard> {
    let mut attr = EnableStatsAttr::default(); // BPF_STATS_RUN_TIME = 0
    // SAFETY: BPF_ENABLE_STATS carries no pointers and returns a new descriptor.
    let fd = unsafe { sys::bpf_fd(Cmd::EnableStats, &mut attr) }
        .map_err(|err| Error::from_io(Op::EnableStats, "", &err))?;
    Ok(StatsGuard { _fd: fd })
}
