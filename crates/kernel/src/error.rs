//! The error type for creating, loading and attaching kernel objects.
//!
//! An [`Error`] records what was attempted ([`Op`]) on which object, the kernel's errno, and for
//! program and BTF loads the verifier log. Its `Display` text is one line a user can act on, e.g.
//! `failed to create BPF map 'agg': Operation not permitted (need CAP_BPF, or run as root)`; the
//! alternate form (`{:#}`) appends the verifier log. Hot-path operations (map element access,
//! test runs) return plain `io::Result` instead.

use std::fmt;
use std::io;

use crate::sys::ENOTSUPP;

/// What was being attempted when the kernel said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `BPF_MAP_CREATE`.
    CreateMap,
    /// `BPF_PROG_LOAD`.
    LoadProgram,
    /// `BPF_BTF_LOAD`.
    LoadBtf,
    /// Memory-mapping a map or ring buffer.
    MapMemory,
    /// Attaching to a raw tracepoint.
    AttachRawTracepoint,
    /// Attaching a BTF-typed tracing program (tp_btf, fentry, fexit).
    AttachTracing,
    /// `perf_event_open`.
    OpenPerfEvent,
    /// Attaching a program to a perf event.
    AttachPerfEvent,
    /// Creating a `uprobe_multi` link.
    AttachUprobeMulti,
    /// Enabling BPF run-time statistics.
    EnableStats,
}

impl Op {
    fn verb(self) -> &'static str {
        match self {
            Op::CreateMap => "create BPF map",
            Op::LoadProgram => "load BPF program",
            Op::LoadBtf => "load BTF",
            Op::MapMemory => "memory-map BPF map",
            Op::AttachRawTracepoint => "attach to raw tracepoint",
            Op::AttachTracing => "attach BPF tracing program",
            Op::OpenPerfEvent => "open perf event",
            Op::AttachPerfEvent => "attach BPF program to perf event",
            Op::AttachUprobeMulti => "attach uprobes",
            Op::EnableStats => "enable BPF statistics",
        }
    }
}

/// A failed kernel operation.
#[derive(Debug)]
pub struct Error {
    op: Op,
    subject: String,
    errno: i32,
    log: Option<String>,
    hint: Option<&'static str>,
}

impl Error {
    pub(crate) fn new(op: Op, subject: impl Into<String>, errno: i32) -> Error {
        Error {
            op,
            subject: subject.into(),
            errno,
            log: None,
            hint: None,
        }
    }

    pub(crate) fn from_io(op: Op, subject: impl Into<String>, err: &io::Error) -> Error {
        Error::new(op, subject, crate::sys::errno_of(err))
    }

    /// Replaces the errno-derived hint with a specific explanation.
    pub(crate) fn with_hint(mut self, hint: &'static str) -> Error {
        self.hint = Some(hint);
        self
    }

    pub(crate) fn with_log(mut self, log: String) -> Error {
        self.log = Some(log);
        self
    }

    /// What was being attempted.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The object the operation concerned (map, program or probe name; may be empty).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The kernel's errno.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The verifier log for failed program or BTF loads (may be empty: some refusals, such as
    /// fentry under lockdown, come without one).
    pub fn verifier_log(&self) -> Option<&str> {
        self.log.as_deref()
    }

    /// Whether the failure means "not permitted" rather than "invalid".
    pub fn is_permission_denied(&self) -> bool {
        self.errno == libc::EPERM || (self.errno == libc::EACCES && self.op != Op::LoadProgram)
    }

    fn hint(&self) -> Option<&'static str> {
        if self.hint.is_some() {
            return self.hint;
        }
        let errno = self.errno;
        Some(match (self.op, errno) {
            (Op::LoadProgram, libc::EACCES) => "rejected by the BPF verifier",
            (Op::LoadProgram, libc::EPERM) if self.log.as_deref().is_none_or(str::is_empty) => {
                "the kernel refused this program type: lockdown, or missing CAP_BPF/CAP_PERFMON"
            }
            (Op::LoadProgram, libc::E2BIG) => "program too large",
            (Op::LoadProgram | Op::LoadBtf, libc::ENOSPC) => "verifier log truncated",
            (Op::OpenPerfEvent | Op::AttachPerfEvent, libc::EPERM | libc::EACCES) => {
                "need CAP_PERFMON, or run as root"
            }
            (_, libc::EPERM | libc::EACCES) => "need CAP_BPF, or run as root",
            (Op::AttachRawTracepoint, libc::ENOENT) => "no such tracepoint",
            (Op::OpenPerfEvent, libc::ENOENT) => "no such event or PMU",
            (Op::CreateMap, libc::ENOMEM) => "out of memory; request smaller buffers",
            (Op::CreateMap, libc::E2BIG) => "map too large",
            (_, libc::EOPNOTSUPP | ENOTSUPP) => "not supported by this kernel",
            (Op::AttachUprobeMulti, libc::EINVAL) => {
                "uprobe_multi links may be unsupported by this kernel"
            }
            _ => return None,
        })
    }
}

/// The C library's message for `errno`, without Rust's " (os error N)" suffix.
pub(crate) fn errno_message(errno: i32) -> String {
    if errno == ENOTSUPP {
        return "Operation not supported".to_string();
    }
    let mut buf = [0u8; 128];
    // SAFETY: `buf` is writable for its full length, which we pass; the XSI strerror_r writes a
    // NUL-terminated message of at most that many bytes and touches nothing else.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr().cast(), buf.len()) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if rc != 0 || len == 0 {
        return format!("error {errno}");
    }
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to {}", self.op.verb())?;
        if !self.subject.is_empty() {
            write!(f, " '{}'", self.subject)?;
        }
        write!(f, ": {}", errno_message(self.errno))?;
        if let Some(hint) = self.hint() {
            write!(f, " ({hint})")?;
        }
        let log = self.log.as_deref().filter(|log| !log.is_empty());
        if let (true, Some(log)) = (f.alternate(), log) {
            write!(f, "\nverifier log:\n{}", log.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        io::Error::new(
            io::Error::from_raw_os_error(err.errno).kind(),
            err.to_string(),
        )
    }
}

/// Result of creating, loading or attaching kernel objects.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_operation_subject_and_privilege() {
        let err = Error::new(Op::CreateMap, "x", libc::EPERM);
        assert_eq!(
            err.to_string(),
            "failed to create BPF map 'x': Operation not permitted (need CAP_BPF, or run as root)"
        );
        let err = Error::new(Op::OpenPerfEvent, "cpu-clock", libc::EACCES);
        assert!(
            err.to_string()
                .ends_with("(need CAP_PERFMON, or run as root)")
        );
    }

    #[test]
    fn alternate_display_appends_verifier_log() {
        let err = Error::new(Op::LoadProgram, "p", libc::EACCES).with_log("R0 !read_ok\n".into());
        assert_eq!(
            err.to_string(),
            "failed to load BPF program 'p': Permission denied (rejected by the BPF verifier)"
        );
        assert!(format!("{err:#}").ends_with("verifier log:\nR0 !read_ok"));
        assert_eq!(err.verifier_log(), Some("R0 !read_ok\n"));
    }

    #[test]
    fn kernel_internal_enotsupp_has_a_message() {
        assert_eq!(errno_message(ENOTSUPP), "Operation not supported");
        assert_eq!(errno_message(libc::ENOENT), "No such file or directory");
    }
}
