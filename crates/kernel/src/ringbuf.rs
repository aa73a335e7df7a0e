//! The consumer side of a BPF ring buffer (`BPF_MAP_TYPE_RINGBUF`).
//!
//! Memory layout, as the kernel maps it from the map descriptor:
//!
//! ```text
//! offset 0            one page, read-write:  consumer_pos (u64), advanced only by us
//! offset page         one page, read-only:   producer_pos (u64), advanced by BPF programs
//! offset 2 * page     size bytes, read-only: the data area, mapped twice back to back
//! ```
//!
//! Positions grow forever; `pos & (size - 1)` is the offset in the data area. Because the data
//! is mapped twice, a record that wraps around the end is still contiguous in our mapping, so
//! records are handed out as plain slices without copying.
//!
//! Each record starts with an 8-byte header: a `u32` length whose top bits are flags
//! (`BUSY`: reserved but not yet committed; `DISCARD`: committed but withdrawn) and a `u32` the
//! kernel uses internally. Records occupy `round_up(8 + len, 8)` bytes. The producer commits a
//! record by clearing `BUSY` with a release store; we read the header with an acquire load, so
//! the payload is visible once `BUSY` is clear. Records are consumed strictly in order: a `BUSY`
//! record stops consumption even if later ones are committed.
//!
//! After handling a record we publish the new `consumer_pos` with a release store; only then may
//! the producer reuse that space. That is why a record slice is valid only during the callback.
//!
//! Records from different CPUs are reserved in the order producers reach the buffer, which is
//! not exactly timestamp order.

use std::io;
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, Op, Result};
use crate::map::{Map, MapKind};
use crate::mmap::Mapping;
use crate::sys;

const BUSY_BIT: u32 = 1 << 31;
const DISCARD_BIT: u32 = 1 << 30;
const HEADER_SIZE: usize = 8;

/// A memory-mapped ring buffer consumer with an epoll instance watching the map.
#[derive(Debug)]
pub struct RingBuf {
    consumer: Mapping,
    producer: Mapping,
    epoll: OwnedFd,
    // Keeps the map (and the epoll registration) alive independently of the `Map` handle.
    map_fd: OwnedFd,
    page: usize,
    size: usize,
}

impl RingBuf {
    /// Maps the ring buffer `map` for consumption.
    pub fn new(map: &Map) -> Result<RingBuf> {
        let fail = |err: &io::Error| Error::from_io(Op::MapMemory, map.name(), err);
        if map.kind() != MapKind::RingBuf {
            return Err(Error::new(Op::MapMemory, map.name(), libc::EINVAL)
                .with_hint("not a ring buffer map"));
        }
        let size = map.max_entries() as usize;
        let page = sys::page_size();
        let map_fd = map.as_fd().try_clone_to_owned().map_err(|err| fail(&err))?;
        let consumer = Mapping::new(map_fd.as_fd(), page, 0, true).map_err(|err| fail(&err))?;
        let producer_len = page + 2 * size;
        let producer =
            Mapping::new(map_fd.as_fd(), producer_len, page, false).map_err(|err| fail(&err))?;

        // SAFETY: epoll_create1 has no memory-safety preconditions.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            return Err(fail(&io::Error::last_os_error()));
        }
        // SAFETY: epoll_create1 returned a fresh descriptor that nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(epfd) };
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        // SAFETY: both descriptors are open; `event` is a valid epoll_event for the call.
        let rc = unsafe {
            libc::epoll_ctl(
                epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                map_fd.as_raw_fd(),
                &mut event,
            )
        };
        if rc < 0 {
            return Err(fail(&io::Error::last_os_error()));
        }
        Ok(RingBuf {
            consumer,
            producer,
            epoll,
            map_fd,
            page,
            size,
        })
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: offset 0 of the page-aligned, page-long consumer mapping holds the kernel's
        // `unsigned long consumer_pos`, 8 bytes on the 64-bit targets we support; the mapping
        // outlives the returned borrow and is only accessed atomically.
        unsafe { AtomicU64::from_ptr(self.consumer.as_ptr().cast()) }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: as for `consumer_pos`, at offset 0 of the producer mapping (read-only for us;
        // we only load).
        unsafe { AtomicU64::from_ptr(self.producer.as_ptr().cast()) }
    }

    /// Bytes produced but not yet consumed (headers and padding included).
    pub fn pending_bytes(&self) -> u64 {
        let producer = self.producer_pos().load(Ordering::Acquire);
        let consumer = self.consumer_pos().load(Ordering::Acquire);
        producer.saturating_sub(consumer)
    }

    /// Whether nothing is waiting to be consumed.
    pub fn is_empty(&self) -> bool {
        self.pending_bytes() == 0
    }

    /// The data area size in bytes.
    pub fn capacity(&self) -> usize {
        self.size
    }

    /// Waits until records are available or `timeout` passes (`None`: wait indefinitely).
    /// Returns whether records are available; a signal interrupting the wait returns `false`.
    pub fn poll(&mut self, timeout: Option<Duration>) -> io::Result<bool> {
        if !self.is_empty() {
            return Ok(true);
        }
        let timeout_ms = match timeout {
            None => -1,
            Some(t) => {
                let ms = t.as_micros().div_ceil(1000);
                i32::try_from(ms).unwrap_or(i32::MAX)
            }
        };
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: `event` is writable room for the one event we ask for.
        let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, timeout_ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(err)
            };
        }
        Ok(!self.is_empty())
    }

    /// Hands every committed record to `handle`, in order, and returns how many it saw.
    pub fn consume(&mut self, mut handle: impl FnMut(&[u8])) -> io::Result<usize> {
        self.consume_until(|record| {
            handle(record);
            ControlFlow::Continue(())
        })
    }

    /// Like [`RingBuf::consume`], but stops after a record for which `handle` breaks (that record
    /// counts as consumed). At most one buffer's worth of bytes is consumed per call, so a fast
    /// producer cannot keep the caller here forever.
    pub fn consume_until(
        &mut self,
        mut handle: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> io::Result<usize> {
        let mask = (self.size as u64).wrapping_sub(1);
        // SAFETY: the data area starts one page into the producer mapping, which is
        // `page + 2 * size` bytes long.
        let data = unsafe { self.producer.as_ptr().add(self.page) };
        let budget = self.size as u64;
        let start = self.consumer_pos().load(Ordering::Relaxed);
        let mut consumer = start;
        let mut records = 0;
        loop {
            let producer = self.producer_pos().load(Ordering::Acquire);
            if consumer >= producer || consumer - start >= budget {
                return Ok(records);
            }
            while consumer < producer {
                let offset = (consumer & mask) as usize;
                // SAFETY: offset < size and headers are 8-aligned inside the page-aligned data
                // area, so this is an aligned u32 inside the mapping; the producer writes it
                // atomically (smp_store_release), and we only load it.
                let header =
                    unsafe { AtomicU32::from_ptr(data.add(offset).cast()) }.load(Ordering::Acquire);
                if header & BUSY_BIT != 0 {
                    return Ok(records);
                }
                let len = (header & !(BUSY_BIT | DISCARD_BIT)) as usize;
                let end = offset + HEADER_SIZE + len;
                if end > 2 * self.size {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "ring buffer record exceeds the buffer",
                    ));
                }
                let mut flow = ControlFlow::Continue(());
                if header & DISCARD_BIT == 0 {
                    // SAFETY: [offset + 8, end) lies inside the doubly mapped data area
                    // (checked above). The record is committed (BUSY clear, acquire-loaded), and
                    // the producer does not touch it again until consumer_pos moves past it,
                    // which happens only after `handle` returns; the slice cannot escape the
                    // callback.
                    let record =
                        unsafe { std::slice::from_raw_parts(data.add(offset + HEADER_SIZE), len) };
                    records += 1;
                    flow = handle(record);
                }
                consumer += (HEADER_SIZE + len).next_multiple_of(8) as u64;
                self.consumer_pos().store(consumer, Ordering::Release);
                if flow.is_break() {
                    return Ok(records);
                }
            }
        }
    }
}

impl AsFd for RingBuf {
    /// The map descriptor, for callers that multiplex several sources in their own poll loop.
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.map_fd.as_fd()
    }
}
