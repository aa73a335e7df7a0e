//! System call numbers and names for this architecture.
//!
//! The syscall provider attaches one raw tracepoint (`sys_enter`/`sys_exit`) and filters by
//! syscall number, so it needs the number of every syscall it names; argument names and types
//! come from tracefs `syscalls:sys_enter_<event>` format files. Neither tracefs nor BTF exposes
//! the number: `__syscall_nr` in a format file is a record field filled at run time, the event
//! `id` is an unrelated tracefs counter, the kernel's syscall table is not readable, and the
//! `__NR_*` constants are preprocessor macros absent from BTF.
//!
//! So the numbers are compiled in, taken from the kernel's syscall ABI tables
//! (`arch/x86/entry/syscalls/syscall_64.tbl`; `scripts/syscall.tbl` for arm64, whose numbering
//! is the generic one). This is robust on stock kernels because the syscall ABI is append-only:
//! a number never changes meaning. A syscall newer than the table shows up in tracefs without a
//! number here, and the provider can report it as unavailable.
//!
//! Each entry also records the kernel entry point's name, which names the tracefs event and
//! sometimes differs from the syscall's name (x86_64 `fstat` is implemented by `sys_newfstat`,
//! so its event is `sys_enter_newfstat`). A table row does not mean the running kernel
//! implements the call: unimplemented ones (`tuxcall`, ...) simply have no tracefs event.

/// One system call of this architecture's 64-bit ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syscall {
    pub nr: u32,
    /// The ABI name (`fstat`), as `strace` and the C library know it.
    pub name: &'static str,
    /// The entry point name without `sys_` (`newfstat`): tracefs events are
    /// `syscalls:sys_enter_<event>` / `sys_exit_<event>`.
    pub event: &'static str,
}

impl Syscall {
    pub(crate) const fn new(nr: u32, name: &'static str, event: &'static str) -> Syscall {
        Syscall { nr, name, event }
    }
}

#[cfg(target_arch = "aarch64")]
#[path = "syscalls/aarch64.rs"]
mod arch;
#[cfg(target_arch = "x86_64")]
#[path = "syscalls/x86_64.rs"]
mod arch;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod arch {
    pub(super) const TABLE: &[super::Syscall] = &[];
}

/// Every syscall of this architecture, in number order (empty on unsupported architectures).
pub fn table() -> &'static [Syscall] {
    arch::TABLE
}

/// The syscall with number `nr`.
pub fn by_number(nr: u32) -> Option<&'static Syscall> {
    let table = table();
    table
        .binary_search_by_key(&nr, |sc| sc.nr)
        .ok()
        .and_then(|i| table.get(i))
}

/// The syscall with ABI name `name` (`fstat`).
pub fn by_name(name: &str) -> Option<&'static Syscall> {
    table().iter().find(|sc| sc.name == name)
}

/// The syscall whose tracefs event is `sys_enter_<event>` (`newfstat`).
pub fn by_event(event: &str) -> Option<&'static Syscall> {
    table().iter().find(|sc| sc.event == event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let table = table();
        assert!(table.windows(2).all(|w| w[0].nr < w[1].nr));
        let mut names: Vec<&str> = table.iter().map(|sc| sc.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), table.len());
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn agrees_with_the_c_library() {
        assert_eq!(by_name("read").unwrap().nr, libc::SYS_read as u32);
        assert_eq!(by_name("openat").unwrap().nr, libc::SYS_openat as u32);
        assert_eq!(by_name("bpf").unwrap().nr, libc::SYS_bpf as u32);
        assert_eq!(by_name("clone3").unwrap().nr, libc::SYS_clone3 as u32);
        assert_eq!(
            by_number(libc::SYS_exit_group as u32).unwrap().name,
            "exit_group"
        );
        assert_eq!(by_name("fstat").unwrap().event, "newfstat");
        assert_eq!(by_event("newfstat").unwrap().name, "fstat");
        assert_eq!(by_event("umount").unwrap().name, "umount2");
        assert!(by_number(100_000).is_none());
    }

    /// Every syscall event this kernel offers maps to a number.
    #[test]
    fn covers_this_kernels_syscall_events() {
        let Some(fs) = crate::Tracefs::find() else {
            eprintln!("skipped: tracefs not mounted");
            return;
        };
        let events = fs.available_events().unwrap();
        let missing: Vec<&str> = events
            .iter()
            .filter(|e| e.system == "syscalls")
            .filter_map(|e| e.name.strip_prefix("sys_enter_"))
            .filter(|event| by_event(event).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "syscall events without a number: {missing:?}"
        );
    }
}
