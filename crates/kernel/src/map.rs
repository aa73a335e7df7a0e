//! BPF maps: creation, element access, whole-map snapshots and memory-mapped arrays.
//!
//! A [`Map`] owns its descriptor; the kernel frees the map when the last reference (our
//! descriptor, a loaded program using it, or a memory mapping) goes away.
//!
//! Keys and values are raw bytes in the layout the BPF programs use. Every access checks buffer
//! lengths before the kernel sees them: the kernel copies exactly `key_size` bytes from the key
//! and [`Map::value_len`] bytes into the value buffer, trusting the pointers it is given.
//!
//! **Per-CPU maps** (`PercpuHash`, `PercpuArray`, `LruPercpuHash`) exchange one slot per possible
//! CPU, each `value_size` rounded up to 8 bytes, in possible-CPU order (see [`crate::cpus`]);
//! [`split_percpu`] walks them.
//!
//! **Snapshots** ([`Map::entries`]) use `BPF_MAP_LOOKUP_BATCH` (kernels >= 5.6, and only for map
//! kinds that implement it), falling back to `GET_NEXT_KEY` + `LOOKUP` iteration. Neither is
//! atomic with respect to concurrent updates by programs; that is inherent to BPF maps.
//!
//! **Memory-mapped arrays** ([`Map::mmap`]): an `Array` created with [`flags::MMAPABLE`] can be
//! mapped into the consumer, which then reads globals without a system call. Element `i` lives at
//! byte `i * round_up(value_size, 8)`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};

use crate::error::{Error, Op, Result};
use crate::info::{self, MapInfo};
use crate::mmap::Mapping;
use crate::sys::{self, Cmd, ENOTSUPP, FdAttr, MapBatchAttr, MapCreateAttr, MapElemAttr};

/// The kinds of map the tracer uses (`enum bpf_map_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    Hash,
    Array,
    ProgArray,
    PerfEventArray,
    PercpuHash,
    PercpuArray,
    StackTrace,
    LruHash,
    LruPercpuHash,
    RingBuf,
}

impl MapKind {
    fn raw(self) -> u32 {
        match self {
            MapKind::Hash => 1,
            MapKind::Array => 2,
            MapKind::ProgArray => 3,
            MapKind::PerfEventArray => 4,
            MapKind::PercpuHash => 5,
            MapKind::PercpuArray => 6,
            MapKind::StackTrace => 7,
            MapKind::LruHash => 9,
            MapKind::LruPercpuHash => 10,
            MapKind::RingBuf => 27,
        }
    }

    /// Whether values hold one slot per possible CPU.
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapKind::PercpuHash | MapKind::PercpuArray | MapKind::LruPercpuHash
        )
    }
}

/// Map creation flags (`map_flags`).
pub mod flags {
    /// Allocate hash elements on demand instead of up front.
    pub const NO_PREALLOC: u32 = 1 << 0;
    /// Give each CPU its own LRU list.
    pub const NO_COMMON_LRU: u32 = 1 << 1;
    /// Programs may only read the map.
    pub const RDONLY_PROG: u32 = 1 << 7;
    /// Programs may only write the map.
    pub const WRONLY_PROG: u32 = 1 << 8;
    /// The array may be memory-mapped ([`super::Map::mmap`]).
    pub const MMAPABLE: u32 = 1 << 10;
}

/// How an update treats an existing element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    /// Create or replace (`BPF_ANY`).
    Any,
    /// Create only (`BPF_NOEXIST`).
    NoExist,
    /// Replace only (`BPF_EXIST`).
    Exist,
}

impl UpdateMode {
    fn raw(self) -> u64 {
        match self {
            UpdateMode::Any => 0,
            UpdateMode::NoExist => 1,
            UpdateMode::Exist => 2,
        }
    }
}

/// Parameters of a new map.
#[derive(Clone, Copy, Debug)]
pub struct MapSpec<'a> {
    pub kind: MapKind,
    /// Key bytes (0 for `RingBuf`, 4 for arrays).
    pub key_size: u32,
    /// Value bytes per element (per CPU for per-CPU kinds; 0 for `RingBuf`).
    pub value_size: u32,
    /// Elements; for `RingBuf`, the data area in bytes (a power of two, multiple of the page).
    pub max_entries: u32,
    /// [`flags`] bits.
    pub flags: u32,
    /// A name for `bpftool` and error messages; sanitized to `[A-Za-z0-9_.]`, 15 bytes.
    pub name: &'a str,
}

/// An owned BPF map.
#[derive(Debug)]
pub struct Map {
    fd: OwnedFd,
    kind: MapKind,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
    name: String,
    value_len: usize,
}

/// Rounds a per-CPU value size up to its slot size.
pub fn percpu_slot_size(value_size: usize) -> usize {
    value_size.div_ceil(8) * 8
}

/// Splits a per-CPU value buffer into one `value_size` slice per possible CPU.
pub fn split_percpu(buf: &[u8], value_size: usize) -> impl Iterator<Item = &[u8]> {
    let slot = percpu_slot_size(value_size).max(1);
    buf.chunks_exact(slot)
        .map(move |chunk| &chunk[..value_size.min(chunk.len())])
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

fn is_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EINVAL | libc::EOPNOTSUPP | ENOTSUPP)
    )
}

impl Map {
    /// Creates a map.
    pub fn create(spec: &MapSpec<'_>) -> Result<Map> {
        let name = sys::object_name(spec.name);
        let shown = sys::object_name_text(&name);
        if spec.kind == MapKind::RingBuf {
            let size = spec.max_entries as usize;
            // Both are powers of two, so "at least a page" means "a multiple of the page".
            if !size.is_power_of_two() || size < sys::page_size() {
                return Err(Error::new(Op::CreateMap, shown, libc::EINVAL).with_hint(
                    "ring buffer size must be a power of two and a multiple of the page size",
                ));
            }
        }
        let value_len = if spec.kind.is_percpu() {
            let cpus = crate::cpus::possible_cpu_count()
                .map_err(|err| Error::from_io(Op::CreateMap, shown.clone(), &err))?;
            percpu_slot_size(spec.value_size as usize) * cpus
        } else {
            spec.value_size as usize
        };
        let mut attr = MapCreateAttr {
            map_type: spec.kind.raw(),
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
            map_flags: spec.flags,
            map_name: name,
            ..MapCreateAttr::default()
        };
        // SAFETY: BPF_MAP_CREATE carries no pointers (no BTF, no inner map) and returns a new
        // descriptor.
        let fd = unsafe { sys::bpf_fd(Cmd::MapCreate, &mut attr) }
            .map_err(|err| Error::from_io(Op::CreateMap, shown.clone(), &err))?;
        Ok(Map {
            fd,
            kind: spec.kind,
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
            flags: spec.flags,
            name: shown,
            value_len,
        })
    }

    pub fn kind(&self) -> MapKind {
        self.kind
    }

    pub fn key_size(&self) -> usize {
        self.key_size as usize
    }

    /// Value bytes per element (per CPU for per-CPU kinds).
    pub fn value_size(&self) -> usize {
        self.value_size as usize
    }

    /// Bytes a lookup writes: `value_size`, or one 8-byte-rounded slot per possible CPU.
    pub fn value_len(&self) -> usize {
        self.value_len
    }

    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The (sanitized) name the kernel knows the map by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Kernel information, including the map's id.
    pub fn info(&self) -> io::Result<MapInfo> {
        info::map_info(self.fd.as_fd())
    }

    fn check_key(&self, key: &[u8]) -> io::Result<()> {
        if key.len() != self.key_size as usize {
            return Err(invalid("key length differs from the map's key size"));
        }
        Ok(())
    }

    fn elem(&self, key: *const u8, value: u64, flags: u64) -> MapElemAttr {
        MapElemAttr {
            map_fd: self.fd.as_raw_fd() as u32,
            key: key as u64,
            value,
            flags,
            ..MapElemAttr::default()
        }
    }

    /// Writes one element; `value` must be exactly [`Map::value_len`] bytes.
    pub fn update(&self, key: &[u8], value: &[u8], mode: UpdateMode) -> io::Result<()> {
        self.check_key(key)?;
        if value.len() != self.value_len {
            return Err(invalid("value length differs from the map's value length"));
        }
        let mut attr = self.elem(key.as_ptr(), value.as_ptr() as u64, mode.raw());
        // SAFETY: key and value point to live buffers of exactly the sizes the kernel reads.
        unsafe { sys::bpf(Cmd::MapUpdateElem, &mut attr) }?;
        Ok(())
    }

    /// Reads one element into `out` (at least [`Map::value_len`] bytes). `Ok(false)` if absent.
    pub fn lookup(&self, key: &[u8], out: &mut [u8]) -> io::Result<bool> {
        self.check_key(key)?;
        if out.len() < self.value_len {
            return Err(invalid("output buffer shorter than the map's value length"));
        }
        let mut attr = self.elem(key.as_ptr(), out.as_mut_ptr() as u64, 0);
        // SAFETY: the key is readable for key_size bytes and `out` writable for value_len bytes,
        // the most the kernel copies out.
        match unsafe { sys::bpf(Cmd::MapLookupElem, &mut attr) } {
            Ok(_) => Ok(true),
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Deletes one element. `Ok(false)` if it was absent.
    pub fn delete(&self, key: &[u8]) -> io::Result<bool> {
        self.check_key(key)?;
        let mut attr = self.elem(key.as_ptr(), 0, 0);
        // SAFETY: the key is readable for key_size bytes; nothing is written.
        match unsafe { sys::bpf(Cmd::MapDeleteElem, &mut attr) } {
            Ok(_) => Ok(true),
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Writes the key after `prev` (or the first key) into `out`. `Ok(false)` at the end.
    pub fn next_key(&self, prev: Option<&[u8]>, out: &mut [u8]) -> io::Result<bool> {
        if let Some(prev) = prev {
            self.check_key(prev)?;
        }
        if out.len() < self.key_size as usize {
            return Err(invalid("output buffer shorter than the map's key size"));
        }
        let prev_ptr = prev.map_or(std::ptr::null(), <[u8]>::as_ptr);
        let mut attr = self.elem(prev_ptr, out.as_mut_ptr() as u64, 0);
        // SAFETY: `prev` (if any) is readable for key_size bytes; `out` is writable for key_size.
        match unsafe { sys::bpf(Cmd::MapGetNextKey, &mut attr) } {
            Ok(_) => Ok(true),
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Makes the map read-only for user space (`BPF_MAP_FREEZE`); programs can still write it
    /// unless it was created with [`flags::RDONLY_PROG`].
    pub fn freeze(&self) -> io::Result<()> {
        let mut attr = FdAttr {
            fd: self.fd.as_raw_fd() as u32,
            ..FdAttr::default()
        };
        // SAFETY: BPF_MAP_FREEZE carries no pointers.
        unsafe { sys::bpf(Cmd::MapFreeze, &mut attr) }?;
        Ok(())
    }

    /// A snapshot of every element: batched lookup where the kernel supports it for this map
    /// kind, else key-by-key iteration.
    pub fn entries(&self) -> io::Result<MapEntries> {
        match self.entries_batched() {
            Ok(entries) => Ok(entries),
            Err(err) if is_unsupported(&err) => self.entries_iterated(),
            Err(err) => Err(err),
        }
    }

    fn empty_entries(&self) -> MapEntries {
        MapEntries {
            keys: Vec::new(),
            values: Vec::new(),
            key_size: self.key_size as usize,
            value_len: self.value_len,
            count: 0,
        }
    }

    fn entries_batched(&self) -> io::Result<MapEntries> {
        let mut out = self.empty_entries();
        let (key_size, value_len) = (out.key_size, out.value_len);
        // The batch token is a bucket index for hash maps and a key for arrays.
        let token_len = key_size.max(8);
        let mut token_in = vec![0u8; token_len];
        let mut token_out = vec![0u8; token_len];
        let mut chunk = (self.max_entries as usize).clamp(1, 4096);
        let mut first = true;
        loop {
            out.keys.resize((out.count + chunk) * key_size, 0);
            out.values.resize((out.count + chunk) * value_len, 0);
            let mut attr = MapBatchAttr {
                in_batch: if first { 0 } else { token_in.as_ptr() as u64 },
                out_batch: token_out.as_mut_ptr() as u64,
                keys: out.keys[out.count * key_size..].as_mut_ptr() as u64,
                values: out.values[out.count * value_len..].as_mut_ptr() as u64,
                count: chunk as u32,
                map_fd: self.fd.as_raw_fd() as u32,
                ..MapBatchAttr::default()
            };
            // SAFETY: the tokens are readable/writable for token_len >= the kernel's token size
            // (u32 bucket or one key); `keys`/`values` have room for `count` keys and values past
            // the entries already collected.
            let result = unsafe { sys::bpf(Cmd::MapLookupBatch, &mut attr) };
            let got = (attr.count as usize).min(chunk);
            out.count += got;
            match result {
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => break,
                // A hash bucket holds more elements than `chunk`: retry it with more room.
                Err(err) if err.raw_os_error() == Some(libc::ENOSPC) && got == 0 => {
                    chunk = chunk.saturating_mul(2);
                    continue;
                }
                Err(err) => return Err(err),
            }
            std::mem::swap(&mut token_in, &mut token_out);
            first = false;
        }
        out.keys.truncate(out.count * key_size);
        out.values.truncate(out.count * value_len);
        Ok(out)
    }

    fn entries_iterated(&self) -> io::Result<MapEntries> {
        let mut out = self.empty_entries();
        let mut key = vec![0u8; out.key_size];
        let mut next = vec![0u8; out.key_size];
        let mut value = vec![0u8; out.value_len];
        let mut have_prev = false;
        // Deleting the previous key makes a hash map restart from its first key; bound the walk
        // so concurrent deletion cannot keep us here forever.
        let limit = (self.max_entries as usize)
            .saturating_mul(2)
            .saturating_add(16);
        for _ in 0..limit {
            let prev = if have_prev {
                Some(key.as_slice())
            } else {
                None
            };
            if !self.next_key(prev, &mut next)? {
                break;
            }
            std::mem::swap(&mut key, &mut next);
            have_prev = true;
            if self.lookup(&key, &mut value)? {
                out.keys.extend_from_slice(&key);
                out.values.extend_from_slice(&value);
                out.count += 1;
            }
        }
        Ok(out)
    }

    /// Maps an `Array` created with [`flags::MMAPABLE`] into memory (read-only if `writable` is
    /// false, which is the only option once the map is frozen).
    pub fn mmap(&self, writable: bool) -> Result<MappedArray> {
        if self.kind != MapKind::Array || self.flags & flags::MMAPABLE == 0 {
            return Err(Error::new(Op::MapMemory, self.name.clone(), libc::EINVAL)
                .with_hint("only arrays created with BPF_F_MMAPABLE can be memory-mapped"));
        }
        let slot = percpu_slot_size(self.value_size as usize);
        let len = slot
            .checked_mul(self.max_entries as usize)
            .ok_or_else(|| Error::new(Op::MapMemory, self.name.clone(), libc::E2BIG))?;
        let page = sys::page_size();
        let mapped_len = len.div_ceil(page).max(1) * page;
        let mapping = Mapping::new(self.fd.as_fd(), mapped_len, 0, writable)
            .map_err(|err| Error::from_io(Op::MapMemory, self.name.clone(), &err))?;
        Ok(MappedArray {
            mapping,
            len,
            slot,
            writable,
        })
    }
}

impl AsFd for Map {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Map {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

/// A snapshot of a map's elements: keys and values packed back to back.
#[derive(Clone, Debug, Default)]
pub struct MapEntries {
    keys: Vec<u8>,
    values: Vec<u8>,
    key_size: usize,
    value_len: usize,
    count: usize,
}

impl MapEntries {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `(key, value)` pairs; per-CPU values hold every CPU's slot (see [`split_percpu`]).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let keys = self.keys.chunks_exact(self.key_size.max(1));
        let values = self.values.chunks_exact(self.value_len.max(1));
        keys.zip(values).take(self.count)
    }
}

/// A memory-mapped array map. Accessors take byte offsets and fail (rather than panic) when out
/// of range; loads and stores are atomic per access, so they never tear a naturally aligned value
/// that a program writes concurrently.
#[derive(Debug)]
pub struct MappedArray {
    mapping: Mapping,
    len: usize,
    slot: usize,
    writable: bool,
}

impl MappedArray {
    /// Bytes of element data (`max_entries * round_up(value_size, 8)`).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte offset of element `index`.
    pub fn offset_of(&self, index: u32) -> usize {
        index as usize * self.slot
    }

    fn check(&self, offset: usize, size: usize, align: usize) -> io::Result<()> {
        let end = offset
            .checked_add(size)
            .ok_or_else(|| invalid("offset overflows"))?;
        if end > self.len {
            return Err(invalid("access beyond the mapped array"));
        }
        // `align` is a power of two.
        if offset & (align - 1) != 0 {
            return Err(invalid("misaligned access"));
        }
        Ok(())
    }

    fn check_writable(&self) -> io::Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "array is mapped read-only",
            ))
        }
    }

    fn atomic_u64(&self, offset: usize) -> io::Result<&AtomicU64> {
        self.check(offset, 8, 8)?;
        // SAFETY: the range is inside the mapping (checked) and 8-aligned (the mapping is
        // page-aligned, the offset checked); the memory lives as long as `self`, and all our
        // accesses to it are atomic.
        Ok(unsafe { AtomicU64::from_ptr(self.mapping.as_ptr().add(offset).cast()) })
    }

    fn atomic_u32(&self, offset: usize) -> io::Result<&AtomicU32> {
        self.check(offset, 4, 4)?;
        // SAFETY: as in `atomic_u64`, for a 4-aligned in-range u32.
        Ok(unsafe { AtomicU32::from_ptr(self.mapping.as_ptr().add(offset).cast()) })
    }

    fn atomic_bytes(&self, offset: usize, len: usize) -> io::Result<&[AtomicU8]> {
        self.check(offset, len, 1)?;
        // SAFETY: the range is inside the mapping (checked); AtomicU8 has the size and alignment
        // of u8; the memory lives as long as `self` and is only accessed atomically.
        Ok(unsafe {
            std::slice::from_raw_parts(self.mapping.as_ptr().add(offset).cast::<AtomicU8>(), len)
        })
    }

    pub fn load_u64(&self, offset: usize) -> io::Result<u64> {
        Ok(self.atomic_u64(offset)?.load(Ordering::Acquire))
    }

    pub fn load_u32(&self, offset: usize) -> io::Result<u32> {
        Ok(self.atomic_u32(offset)?.load(Ordering::Acquire))
    }

    pub fn store_u64(&self, offset: usize, value: u64) -> io::Result<()> {
        self.check_writable()?;
        self.atomic_u64(offset)?.store(value, Ordering::Release);
        Ok(())
    }

    pub fn store_u32(&self, offset: usize, value: u32) -> io::Result<()> {
        self.check_writable()?;
        self.atomic_u32(offset)?.store(value, Ordering::Release);
        Ok(())
    }

    /// Copies bytes out (each byte read atomically; a multi-byte value written concurrently may
    /// be seen half-updated).
    pub fn read(&self, offset: usize, out: &mut [u8]) -> io::Result<()> {
        let bytes = self.atomic_bytes(offset, out.len())?;
        for (dst, src) in out.iter_mut().zip(bytes) {
            *dst = src.load(Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies bytes in.
    pub fn write(&self, offset: usize, data: &[u8]) -> io::Result<()> {
        self.check_writable()?;
        let bytes = self.atomic_bytes(offset, data.len())?;
        for (dst, src) in bytes.iter().zip(data) {
            dst.store(*src, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percpu_slots_round_to_eight() {
        assert_eq!(percpu_slot_size(1), 8);
        assert_eq!(percpu_slot_size(8), 8);
        assert_eq!(percpu_slot_size(12), 16);
        let buf: Vec<u8> = (0..32).collect();
        let slots: Vec<&[u8]> = split_percpu(&buf, 12).collect();
        assert_eq!(slots, vec![&buf[0..12], &buf[16..28]]);
    }
}
