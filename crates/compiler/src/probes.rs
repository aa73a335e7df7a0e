//! What the compiler needs to know about probes, and how a group of probes
//! becomes one BPF program.
//!
//! Providers live outside the compiler: they enumerate and match probes and
//! decide how each is attached. They describe each matched probe with a
//! [`ProbeInfo`] (its name and typed arguments) and group probes that share
//! one attachment mechanism into [`ProbeGroup`]s. Code generation emits one
//! BPF program per group: a *trampoline* that reads the DTrace probe context
//! from the native context ([`ContextLayout`]), works out which probe of the
//! group fired ([`Selector`]), then runs the clauses enabled on that probe in
//! program order.

/// One probe, as the D compiler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeInfo {
    pub id: u32,
    pub provider: String,
    pub module: String,
    pub function: String,
    pub name: String,
    /// Typed arguments (`args[0]`, ...), as C type names
    /// (`const char *`, `int`, `size_t`).
    pub args: Vec<String>,
}

/// BPF program type a group is loaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgKind {
    RawTracepoint,
    PerfEvent,
    /// Kprobe-type programs, also used for uprobes.
    Kprobe,
    Tracepoint,
}

/// Where `arg0..arg9` come from in the native program context.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextLayout {
    /// The context is an array of u64 arguments: raw tracepoints, and the
    /// programs run with `BPF_PROG_TEST_RUN` (BEGIN, END, tick-N), where the
    /// caller supplies the array. `first` is the index of arg0.
    RawArgs { first: u32, count: u32 },
    /// `raw_syscalls:sys_enter` (`struct pt_regs *regs, long id`): the
    /// syscall's arguments are read from the saved user registers.
    SyscallEntry,
    /// `raw_syscalls:sys_exit` (`struct pt_regs *regs, long ret`): arg0 and
    /// arg1 are the return value; errno is derived from it.
    SyscallExit,
    /// `struct bpf_perf_event_data`: arg0 is the kernel PC (0 in user mode),
    /// arg1 the user PC (0 in kernel mode).
    ProfileRegs,
    /// A `struct pt_regs` context (uprobes): arguments in the C ABI
    /// registers; for returns, arg0/arg1 = return value.
    PtRegs { ret: bool },
    /// A tracepoint record: args are the fields at these offsets and sizes
    /// (size ≤ 8, sign-extended when `signed`).
    TracepointFields(Vec<FieldSpec>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

/// How the trampoline tells which of its group's probes fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// The group has one probe.
    Single,
    /// The probe's slot is `ctx[n]` (programs run by `BPF_PROG_TEST_RUN`).
    CtxArg(u32),
    /// The slot is the attachment's BPF cookie.
    Cookie,
    /// The slot is looked up from the syscall number (`ctx[1]` of the raw
    /// syscall tracepoints) in a table; numbers not in the group return
    /// at once.
    SyscallNr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProbeGroup {
    /// Program name (at most 15 characters are kept by the kernel).
    pub name: String,
    pub kind: ProgKind,
    pub context: ContextLayout,
    pub selector: Selector,
    /// The group's probes by slot; for [`Selector::SyscallNr`], `keys[i]`
    /// is the syscall number of slot `i`.
    pub probes: Vec<u32>,
    pub keys: Vec<u64>,
    /// Which activity state the group runs in (see `object::State`).
    pub runs_in: RunsIn,
}

/// DTrace's activity states gate what may fire: BEGIN runs while the
/// session warms up, ordinary probes only while it is active, END while it
/// drains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsIn {
    Begin,
    Active,
    End,
}
