//! The compiled program object: DOF's role.
//!
//! An [`Object`] is everything the session needs to run a D program and
//! everything the consumer needs to understand what comes back: BPF programs
//! (one per probe group), the maps they share, and the description of every
//! record a program can write.
//!
//! # Records
//!
//! Probe programs write records into one BPF ring buffer. Every record
//! starts with a 16-byte header:
//!
//! ```text
//!   0  u32 epid      enabled probe id (0: a fault report, see below)
//!   4  u32 cpu       CPU the probe fired on
//!   8  u64 present   bit i set when the clause's i-th recording action ran
//! ```
//!
//! An *enabled probe* is a (clause, probe) pair; [`Object::epids`] maps the
//! epid to both. The data of each recording action sits at a fixed offset
//! after the header, given by the clause's [`RecordLayout`]: a clause's
//! layout is static, and the `present` mask says which actions actually ran
//! (actions under an `if` may not). Scalars are stored as 8 bytes, already
//! sign- or zero-extended from their D type; strings as `strsize` bytes,
//! NUL-padded.
//!
//! A fault report (epid 0) carries, after the header: the faulting epid
//! (u32), the 1-based action index (u32; 0 = predicate), the fault kind
//! (u32, [`Fault`]), padding, the BPF instruction offset of the faulting
//! load (u64) and the faulting address (u64).
//!
//! # Shared state
//!
//! The *globals* map (one element, memory-mapped by the consumer) holds the
//! session state word, the consumer's wake-up flag, the boot-to-wall-clock
//! offset, and D's global variables; see [`GlobalsLayout`].

use crate::bpf::insn::Insn;
use crate::probes::{ProbeGroup, RunsIn};
use crate::tir::{AggFunc, AggId, VarId};
use crate::types::{TypeId, TypeTable};

pub const RECORD_HEADER: u32 = 16;

/// Session activity states, stored in the globals map.
pub mod state {
    pub const INACTIVE: u32 = 0;
    pub const WARMUP: u32 = 1;
    pub const ACTIVE: u32 = 2;
    pub const DRAINING: u32 = 3;
    pub const STOPPED: u32 = 4;
}

/// Fixed offsets in the globals map value.
pub mod globals {
    /// u32: the session state ([`super::state`]).
    pub const STATE: u32 = 0;
    /// u32: non-zero while the consumer sleeps and wants a wake-up on the
    /// next record.
    pub const CONSUMER_SLEEPING: u32 = 4;
    /// i64: add to `ktime_get_ns()` to get nanoseconds since the epoch.
    pub const WALL_OFFSET: u32 = 8;
    /// u32: the exit status given to `exit()`.
    pub const EXIT_STATUS: u32 = 16;
    /// First byte of D variables.
    pub const VARS: u32 = 24;
}

/// Per-CPU counters the consumer reports as drops, by index.
pub mod counter {
    /// Records lost because the ring buffer was full.
    pub const DROPS: u32 = 0;
    pub const AGG_DROPS: u32 = 1;
    pub const DYNVAR_DROPS: u32 = 2;
    /// Faults inside ERROR clauses.
    pub const ERROR_ERRORS: u32 = 3;
    pub const COUNT: u32 = 4;
}

/// DTrace's fault kinds (`DTRACEFLT_*`), in DTrace's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Fault {
    BadAddr = 1,
    BadAlign = 2,
    IllOp = 3,
    DivZero = 4,
    NoScratch = 5,
    KPriv = 6,
    UPriv = 7,
    TupOflow = 8,
    BadStack = 9,
    BadSize = 10,
    BadIndex = 11,
}

impl Fault {
    pub fn from_u32(v: u32) -> Option<Fault> {
        use Fault::*;
        Some(match v {
            1 => BadAddr,
            2 => BadAlign,
            3 => IllOp,
            4 => DivZero,
            5 => NoScratch,
            6 => KPriv,
            7 => UPriv,
            8 => TupOflow,
            9 => BadStack,
            10 => BadSize,
            11 => BadIndex,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    Array,
    PercpuArray,
    Hash,
    PercpuHash,
    RingBuf,
}

/// What a map is for; the session and consumer find maps by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRole {
    Globals,
    Rodata,
    Scratch,
    Records,
    Counters,
    ThreadVar(VarId),
    Assoc(VarId),
    Agg(AggId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapDef {
    pub name: String,
    pub role: MapRole,
    pub kind: MapKind,
    pub key_size: u32,
    pub value_size: u32,
    /// 0 means "one per possible CPU" (filled in by the loader).
    pub max_entries: u32,
    pub mmapable: bool,
}

/// One scalar or string stored in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// 8 bytes in the record; `size` and `signed` describe the D type.
    Int { size: u8, signed: bool },
    /// A pointer (8 bytes).
    Ptr,
    /// `strsize` bytes, NUL-padded.
    Str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataItem {
    /// Offset from the start of the record (after the header included).
    pub offset: u32,
    pub kind: ValueKind,
    /// The D type, for printing (`trace()`, aggregation keys).
    pub ty: TypeId,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecAction {
    /// The probe line of an empty clause.
    Default,
    Trace(DataItem),
    Printf {
        format: usize,
        args: Vec<DataItem>,
    },
    Printa {
        format: Option<usize>,
        aggs: Vec<AggId>,
    },
    Exit(DataItem),
    Clear(AggId),
    Trunc(AggId, Option<DataItem>),
    Normalize(AggId, DataItem),
    Denormalize(AggId),
    Setopt(String, Option<String>),
    System {
        format: usize,
        args: Vec<DataItem>,
    },
    Freopen {
        format: usize,
        args: Vec<DataItem>,
    },
    Ftruncate,
}

/// The data-recording actions of one clause, in order, with their data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordLayout {
    pub actions: Vec<RecAction>,
    /// Total record size including the header.
    pub size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpidDesc {
    pub probe: u32,
    pub clause: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggDesc {
    pub name: String,
    pub func: AggFunc,
    pub keys: Vec<DataItem>,
    pub key_size: u32,
    /// Bytes of the per-key value (see the output crate for layouts).
    pub value_size: u32,
    pub map: usize,
    /// Unkeyed aggregations live in a one-element per-CPU array whose value
    /// starts with a u64 "has data" flag before the aggregated data.
    pub has_flag: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramDef {
    pub name: String,
    pub group: usize,
    pub insns: Vec<Insn>,
    pub runs_in: RunsIn,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub maps: Vec<MapDef>,
    pub programs: Vec<ProgramDef>,
    pub groups: Vec<ProbeGroup>,
    /// Indexed by epid; entry 0 is unused (epid 0 marks fault reports).
    pub epids: Vec<EpidDesc>,
    pub clauses: Vec<RecordLayout>,
    pub formats: Vec<Vec<u8>>,
    pub aggs: Vec<AggDesc>,
    pub rodata: Vec<u8>,
    pub globals_size: u32,
    pub strsize: u32,
    pub types: TypeTable,
    /// Probe id of `dtrace:::ERROR`, if enabled by the program.
    pub error_probe: Option<u32>,
    /// The program uses destructive actions (enabling needs `-w`).
    pub needs_destructive: bool,
}

impl Object {
    pub fn map_index(&self, role: MapRole) -> Option<usize> {
        self.maps.iter().position(|m| m.role == role)
    }
}
