//! Privileges: effective capabilities and the locked-memory limit.
//!
//! Tracing needs `CAP_BPF` (maps, programs) and `CAP_PERFMON` (tracing program types, perf
//! events, reading kernel memory), or `CAP_SYS_ADMIN`, which implies both and is the only option
//! before Linux 5.8. [`check_tracing_privileges`] names what is missing so the user knows what to
//! grant.
//!
//! `RLIMIT_MEMLOCK` used to cap BPF memory; kernels >= 5.11 charge it to the memory cgroup
//! instead. [`raise_memlock_limit`] tries to lift the limit for older kernels, and its failure
//! (no `CAP_SYS_RESOURCE`) is not fatal.

use std::fmt;
use std::io;

/// The capabilities tracing cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    SysAdmin,
    Perfmon,
    Bpf,
}

impl Capability {
    /// The capability's number (`CAP_SYS_ADMIN` = 21, `CAP_PERFMON` = 38, `CAP_BPF` = 39).
    pub fn number(self) -> u32 {
        match self {
            Capability::SysAdmin => 21,
            Capability::Perfmon => 38,
            Capability::Bpf => 39,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::Perfmon => "CAP_PERFMON",
            Capability::Bpf => "CAP_BPF",
        }
    }
}

/// A process's effective capability set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    effective: u64,
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

impl Capabilities {
    /// The calling thread's effective capabilities.
    pub fn current() -> io::Result<Capabilities> {
        let mut header = CapHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: header and data are valid, writable, and sized for version 3 (two CapData).
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let effective = u64::from(data[0].effective) | (u64::from(data[1].effective) << 32);
        Ok(Capabilities { effective })
    }

    /// A set given as a bit mask (bit N = capability N).
    pub fn from_mask(effective: u64) -> Capabilities {
        Capabilities { effective }
    }

    pub fn has(&self, cap: Capability) -> bool {
        self.effective & (1 << cap.number()) != 0
    }

    /// What is missing for tracing (empty if nothing).
    pub fn missing_for_tracing(&self) -> Vec<Capability> {
        if self.has(Capability::SysAdmin) {
            return Vec::new();
        }
        [Capability::Bpf, Capability::Perfmon]
            .into_iter()
            .filter(|&cap| !self.has(cap))
            .collect()
    }
}

/// Tracing privileges that the process lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingPrivileges {
    pub missing: Vec<Capability>,
}

impl fmt::Display for MissingPrivileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.missing.iter().map(|cap| cap.name()).collect();
        write!(
            f,
            "insufficient privileges: need {} (or CAP_SYS_ADMIN); run as root",
            names.join(" and ")
        )
    }
}

impl std::error::Error for MissingPrivileges {}

/// Checks that the process may load tracing programs and open perf events.
pub fn check_tracing_privileges() -> Result<(), MissingPrivileges> {
    // If capget itself fails we cannot tell; let the first real operation report instead.
    let Ok(caps) = Capabilities::current() else {
        return Ok(());
    };
    let missing = caps.missing_for_tracing();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MissingPrivileges { missing })
    }
}

/// Raises `RLIMIT_MEMLOCK` as far as allowed: to infinity if we may, else the soft limit to the
/// hard limit. Only matters on kernels before 5.11; callers should ignore the error.
pub fn raise_memlock_limit() -> io::Result<()> {
    let infinite = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: `infinite` is a valid rlimit the kernel only reads.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &infinite) } == 0 {
        return Ok(());
    }
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `current` is writable room for one rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if current.rlim_cur < current.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: current.rlim_max,
            rlim_max: current.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit the kernel only reads.
        if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &raised) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Err(io::Error::from_raw_os_error(libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_admin_implies_everything() {
        let admin = Capabilities::from_mask(1 << 21);
        assert!(admin.missing_for_tracing().is_empty());
        let bpf_only = Capabilities::from_mask(1 << 39);
        assert_eq!(bpf_only.missing_for_tracing(), vec![Capability::Perfmon]);
        let none = Capabilities::from_mask(0);
        let missing = MissingPrivileges {
            missing: none.missing_for_tracing(),
        };
        assert_eq!(
            missing.to_string(),
            "insufficient privileges: need CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); run as root"
        );
    }

    #[test]
    fn reads_own_capabilities() {
        let caps = Capabilities::current().unwrap();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            assert!(caps.has(Capability::SysAdmin));
            assert!(check_tracing_privileges().is_ok());
        }
    }

    #[test]
    fn memlock_raise_is_not_fatal() {
        // Either outcome is acceptable; it must simply not panic or hang.
        let _ = raise_memlock_limit();
    }
}
