//! Loading program BTF (`BPF_BTF_LOAD`).
//!
//! The compiler encodes a BTF blob describing the functions of a program (needed for `bpf_loop`
//! callbacks and global functions); [`Btf::load`] hands it to the kernel, which checks it like
//! the verifier checks instructions, with the same log-on-failure retry as program loads. The
//! resulting descriptor goes into [`crate::ProgSpec::btf`].

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Op, Result};
use crate::prog::load_with_log;
use crate::sys::{self, BtfLoadAttr, Cmd};

/// A BTF object loaded into the kernel.
#[derive(Debug)]
pub struct Btf {
    fd: OwnedFd,
}

impl Btf {
    /// Loads a raw BTF blob (header, type section, string section).
    pub fn load(data: &[u8]) -> Result<Btf> {
        let size =
            u32::try_from(data.len()).map_err(|_| Error::new(Op::LoadBtf, "", libc::E2BIG))?;
        let fd = load_with_log(Op::LoadBtf, "", |log| {
            let (level, buf, len) = match log {
                Some(buf) => (1, buf.as_mut_ptr() as u64, buf.len() as u32),
                None => (0, 0, 0),
            };
            let mut attr = BtfLoadAttr {
                btf: data.as_ptr() as u64,
                btf_size: size,
                btf_log_buf: buf,
                btf_log_size: len,
                btf_log_level: level,
                ..BtfLoadAttr::default()
            };
            // SAFETY: `btf` points to `size` readable bytes and the log buffer, if any, is
            // writable for `btf_log_size` bytes; both outlive the call.
            let result = unsafe { sys::bpf_fd(Cmd::BtfLoad, &mut attr) };
            (result, attr.btf_log_true_size)
        })?;
        Ok(Btf { fd })
    }
}

impl AsFd for Btf {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Btf {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}
