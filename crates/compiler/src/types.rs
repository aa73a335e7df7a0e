//! The D type system.
//!
//! Types live in one arena, [`TypeTable`], and are named by [`TypeId`].
//! The arena starts with D's built-in types (C's integer types for the LP64
//! data model, `string`, `void`, and the typedefs D predefines such as
//! `uint64_t` and `pid_t`); declarations in the program add structs, unions,
//! enums and typedefs, and kernel types are imported from BTF on first use
//! (BTF plays the part CTF plays in illumos, see [`crate::btf`]).
//!
//! Typedefs are kept as distinct entries so messages print the name the user
//! wrote (`pid_t`, not `int`); [`TypeTable::resolve`] strips typedefs and
//! qualifiers when the checker needs the underlying kind.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    Void,
    /// C integer types (and enums' underlying storage); `name` is the
    /// canonical spelling (`unsigned long`).
    Int {
        name: &'static str,
        size: u32,
        signed: bool,
        is_char: bool,
    },
    Float {
        name: &'static str,
        size: u32,
    },
    /// D's `string`: a NUL-terminated value of at most `strsize` bytes.
    String,
    Pointer {
        target: TypeId,
        /// The pointer is a user-space address (illumos `userland`), read
        /// with the user-memory helpers.
        userland: bool,
    },
    Array {
        elem: TypeId,
        len: u64,
    },
    Struct(StructDef),
    Enum(EnumDef),
    Typedef {
        name: String,
        target: TypeId,
    },
    /// `const`/`volatile` wrapper.
    Qualified {
        target: TypeId,
        is_const: bool,
        is_volatile: bool,
    },
    Function {
        ret: TypeId,
        params: Vec<TypeId>,
        varargs: bool,
    },
    /// DTrace's `<DYN>` type: the value of something that is not data, such
    /// as an aggregation or an aggregating function's result. It has no
    /// size, is compatible with nothing, and messages name it by the kind
    /// of identifier it came from (`aggregation`, `aggregating function`).
    Dynamic(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub is_union: bool,
    pub name: Option<String>,
    /// `None` for a declared-but-not-defined (forward) struct, and for a
    /// kernel struct not yet imported from BTF.
    pub layout: Option<StructLayout>,
    /// The BTF type this struct comes from, when it is the kernel's; its
    /// layout is imported on first use (see `btf::import`).
    pub btf_id: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructLayout {
    pub size: u64,
    pub align: u64,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Empty for anonymous struct/union members, whose members are reachable
    /// as if they were the outer type's own.
    pub name: String,
    pub ty: TypeId,
    pub bit_offset: u64,
    /// Non-zero for bit-fields.
    pub bit_size: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: Option<String>,
    pub size: u32,
    pub values: Vec<(String, i64)>,
}

/// The built-in types every program can name, by id.
#[derive(Debug, Clone, Copy)]
pub struct Builtins {
    pub void: TypeId,
    pub char: TypeId,
    pub schar: TypeId,
    pub uchar: TypeId,
    pub short: TypeId,
    pub ushort: TypeId,
    pub int: TypeId,
    pub uint: TypeId,
    pub long: TypeId,
    pub ulong: TypeId,
    pub longlong: TypeId,
    pub ulonglong: TypeId,
    pub float: TypeId,
    pub double: TypeId,
    pub long_double: TypeId,
    pub string: TypeId,
    pub void_ptr: TypeId,
    pub char_ptr: TypeId,
    pub int64: TypeId,
    pub uint64: TypeId,
    pub int32: TypeId,
    pub uint32: TypeId,
    pub uint16: TypeId,
    pub uint8: TypeId,
    pub uintptr: TypeId,
    pub size_t: TypeId,
    pub pid_t: TypeId,
    pub id_t: TypeId,
    pub uid_t: TypeId,
    pub gid_t: TypeId,
    pub processorid_t: TypeId,
    pub uint_t: TypeId,
    pub ptrdiff_t: TypeId,
    /// `<DYN>` as an aggregation reference (`@a` used as a value).
    pub dyn_aggregation: TypeId,
    /// `<DYN>` as the result of an aggregating function (`count()` used as a
    /// value).
    pub dyn_aggfunc: TypeId,
}

#[derive(Debug, Clone)]
pub struct TypeTable {
    defs: Vec<TypeDef>,
    /// Typedef names (D's own and the program's).
    typedefs: HashMap<String, TypeId>,
    /// `struct x` / `union x` / `enum x` tags declared in D.
    tags: HashMap<(TagKind, String), TypeId>,
    /// Interning of derived types so `int *` is one id.
    pointers: HashMap<(TypeId, bool), TypeId>,
    arrays: HashMap<(TypeId, u64), TypeId>,
    pub builtins: Builtins,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagKind {
    Struct,
    Union,
    Enum,
}

impl Default for TypeTable {
    fn default() -> Self {
        Self::new()
    }
}

impl TypeTable {
    pub fn new() -> Self {
        let mut t = TypeTable {
            defs: Vec::new(),
            typedefs: HashMap::new(),
            tags: HashMap::new(),
            pointers: HashMap::new(),
            arrays: HashMap::new(),
            builtins: Builtins {
                void: TypeId(0),
                char: TypeId(0),
                schar: TypeId(0),
                uchar: TypeId(0),
                short: TypeId(0),
                ushort: TypeId(0),
                int: TypeId(0),
                uint: TypeId(0),
                long: TypeId(0),
                ulong: TypeId(0),
                longlong: TypeId(0),
                ulonglong: TypeId(0),
                float: TypeId(0),
                double: TypeId(0),
                long_double: TypeId(0),
                string: TypeId(0),
                void_ptr: TypeId(0),
                char_ptr: TypeId(0),
                int64: TypeId(0),
                uint64: TypeId(0),
                int32: TypeId(0),
                uint32: TypeId(0),
                uint16: TypeId(0),
                uint8: TypeId(0),
                uintptr: TypeId(0),
                size_t: TypeId(0),
                pid_t: TypeId(0),
                id_t: TypeId(0),
                uid_t: TypeId(0),
                gid_t: TypeId(0),
                processorid_t: TypeId(0),
                uint_t: TypeId(0),
                ptrdiff_t: TypeId(0),
                dyn_aggregation: TypeId(0),
                dyn_aggfunc: TypeId(0),
            },
        };
        let int = |t: &mut TypeTable, name, size, signed, is_char| {
            t.add(TypeDef::Int {
                name,
                size,
                signed,
                is_char,
            })
        };
        let void = t.add(TypeDef::Void);
        let char = int(&mut t, "char", 1, true, true);
        let schar = int(&mut t, "signed char", 1, true, true);
        let uchar = int(&mut t, "unsigned char", 1, false, true);
        let short = int(&mut t, "short", 2, true, false);
        let ushort = int(&mut t, "unsigned short", 2, false, false);
        let int_ = int(&mut t, "int", 4, true, false);
        let uint = int(&mut t, "unsigned int", 4, false, false);
        let long = int(&mut t, "long", 8, true, false);
        let ulong = int(&mut t, "unsigned long", 8, false, false);
        let longlong = int(&mut t, "long long", 8, true, false);
        let ulonglong = int(&mut t, "unsigned long long", 8, false, false);
        let float = t.add(TypeDef::Float {
            name: "float",
            size: 4,
        });
        let double = t.add(TypeDef::Float {
            name: "double",
            size: 8,
        });
        let long_double = t.add(TypeDef::Float {
            name: "long double",
            size: 16,
        });
        let string = t.add(TypeDef::String);
        let void_ptr = t.pointer_to(void, false);
        let char_ptr = t.pointer_to(char, false);
        let td = |t: &mut TypeTable, name: &str, target| t.add_typedef(name, target);
        let int8 = td(&mut t, "int8_t", schar);
        let _ = int8;
        td(&mut t, "int16_t", short);
        let int32 = td(&mut t, "int32_t", int_);
        // LP64: the 64-bit fixed-width types are `long`, as in illumos.
        let int64 = td(&mut t, "int64_t", long);
        let uint8 = td(&mut t, "uint8_t", uchar);
        let uint16 = td(&mut t, "uint16_t", ushort);
        let uint32 = td(&mut t, "uint32_t", uint);
        let uint64 = td(&mut t, "uint64_t", ulong);
        td(&mut t, "intptr_t", long);
        let uintptr = td(&mut t, "uintptr_t", ulong);
        let size_t = td(&mut t, "size_t", ulong);
        td(&mut t, "ssize_t", long);
        let ptrdiff_t = td(&mut t, "ptrdiff_t", long);
        td(&mut t, "uchar_t", uchar);
        td(&mut t, "ushort_t", ushort);
        let uint_t = td(&mut t, "uint_t", uint);
        td(&mut t, "ulong_t", ulong);
        td(&mut t, "u_longlong_t", ulonglong);
        td(&mut t, "longlong_t", longlong);
        td(&mut t, "int_t", int_);
        let id_t = td(&mut t, "id_t", int_);
        let pid_t = td(&mut t, "pid_t", int_);
        let uid_t = td(&mut t, "uid_t", uint);
        let gid_t = td(&mut t, "gid_t", uint);
        let processorid_t = td(&mut t, "processorid_t", int_);
        td(&mut t, "zoneid_t", int_);
        td(&mut t, "projid_t", int_);
        td(&mut t, "taskid_t", int_);
        td(&mut t, "dev_t", ulong);
        td(&mut t, "major_t", uint);
        td(&mut t, "minor_t", uint);
        td(&mut t, "hrtime_t", longlong);
        td(&mut t, "off_t", long);
        td(&mut t, "offset_t", longlong);
        td(&mut t, "mode_t", uint);
        td(&mut t, "ipaddr_t", uint);
        td(&mut t, "in_port_t", ushort);
        td(&mut t, "boolean_t", int_);
        td(&mut t, "caddr_t", char_ptr);
        td(&mut t, "time_t", long);
        td(&mut t, "clock_t", long);
        let dyn_aggregation = t.add(TypeDef::Dynamic("aggregation"));
        let dyn_aggfunc = t.add(TypeDef::Dynamic("aggregating function"));
        t.builtins = Builtins {
            void,
            char,
            schar,
            uchar,
            short,
            ushort,
            int: int_,
            uint,
            long,
            ulong,
            longlong,
            ulonglong,
            float,
            double,
            long_double,
            string,
            void_ptr,
            char_ptr,
            int64,
            uint64,
            int32,
            uint32,
            uint16,
            uint8,
            uintptr,
            size_t,
            pid_t,
            id_t,
            uid_t,
            gid_t,
            processorid_t,
            uint_t,
            ptrdiff_t,
            dyn_aggregation,
            dyn_aggfunc,
        };
        t
    }

    pub fn add(&mut self, def: TypeDef) -> TypeId {
        self.defs.push(def);
        TypeId(self.defs.len() as u32 - 1)
    }

    pub fn add_typedef(&mut self, name: &str, target: TypeId) -> TypeId {
        let id = self.add(TypeDef::Typedef {
            name: name.to_string(),
            target,
        });
        self.typedefs.insert(name.to_string(), id);
        id
    }

    pub fn typedef(&self, name: &str) -> Option<TypeId> {
        self.typedefs.get(name).copied()
    }

    pub fn tag(&self, kind: TagKind, name: &str) -> Option<TypeId> {
        self.tags.get(&(kind, name.to_string())).copied()
    }

    pub fn set_tag(&mut self, kind: TagKind, name: &str, id: TypeId) {
        self.tags.insert((kind, name.to_string()), id);
    }

    pub fn def(&self, id: TypeId) -> &TypeDef {
        &self.defs[id.0 as usize]
    }

    pub fn def_mut(&mut self, id: TypeId) -> &mut TypeDef {
        &mut self.defs[id.0 as usize]
    }

    pub fn pointer_to(&mut self, target: TypeId, userland: bool) -> TypeId {
        if let Some(&id) = self.pointers.get(&(target, userland)) {
            return id;
        }
        let id = self.add(TypeDef::Pointer { target, userland });
        self.pointers.insert((target, userland), id);
        id
    }

    pub fn array_of(&mut self, elem: TypeId, len: u64) -> TypeId {
        if let Some(&id) = self.arrays.get(&(elem, len)) {
            return id;
        }
        let id = self.add(TypeDef::Array { elem, len });
        self.arrays.insert((elem, len), id);
        id
    }

    /// Strips typedefs and qualifiers.
    pub fn resolve(&self, mut id: TypeId) -> TypeId {
        loop {
            match self.def(id) {
                TypeDef::Typedef { target, .. } | TypeDef::Qualified { target, .. } => id = *target,
                _ => return id,
            }
        }
    }

    pub fn kind(&self, id: TypeId) -> &TypeDef {
        self.def(self.resolve(id))
    }

    pub fn is_const(&self, mut id: TypeId) -> bool {
        loop {
            match self.def(id) {
                TypeDef::Qualified { is_const: true, .. } => return true,
                TypeDef::Typedef { target, .. } | TypeDef::Qualified { target, .. } => id = *target,
                _ => return false,
            }
        }
    }

    pub fn is_integer(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Int { .. } | TypeDef::Enum(_))
    }

    pub fn is_float(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Float { .. })
    }

    pub fn is_arith(&self, id: TypeId) -> bool {
        self.is_integer(id) || self.is_float(id)
    }

    pub fn is_pointer(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Pointer { .. })
    }

    pub fn is_array(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Array { .. })
    }

    /// Scalars are what fits in a register: integers, pointers, enums.
    pub fn is_scalar(&self, id: TypeId) -> bool {
        self.is_integer(id) || self.is_pointer(id)
    }

    pub fn is_string(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::String)
    }

    pub fn is_void(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Void)
    }

    pub fn is_struct(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Struct(_))
    }

    /// A `char *`, `const char *`, or `char[N]`: types D lets stand in for a
    /// string.
    pub fn is_char_string_like(&self, id: TypeId) -> bool {
        let target = match self.kind(id) {
            TypeDef::Pointer { target, .. } => *target,
            TypeDef::Array { elem, .. } => *elem,
            _ => return false,
        };
        matches!(self.kind(target), TypeDef::Int { is_char: true, .. })
    }

    /// Signedness of an integer type (enums are signed ints); pointers are
    /// unsigned.
    pub fn is_signed(&self, id: TypeId) -> bool {
        match self.kind(id) {
            TypeDef::Int { signed, .. } => *signed,
            TypeDef::Enum(_) => true,
            _ => false,
        }
    }

    /// Size in bytes; `strsize` for strings; 0 for void and functions.
    pub fn size_of(&self, id: TypeId, strsize: u64) -> u64 {
        match self.kind(id) {
            TypeDef::Void | TypeDef::Function { .. } | TypeDef::Dynamic(_) => 0,
            TypeDef::Int { size, .. } | TypeDef::Float { size, .. } => *size as u64,
            TypeDef::String => strsize,
            TypeDef::Pointer { .. } => 8,
            TypeDef::Array { elem, len } => self.size_of(*elem, strsize).saturating_mul(*len),
            TypeDef::Struct(s) => s.layout.as_ref().map_or(0, |l| l.size),
            TypeDef::Enum(e) => e.size as u64,
            TypeDef::Typedef { .. } | TypeDef::Qualified { .. } => 0,
        }
    }

    pub fn align_of(&self, id: TypeId) -> u64 {
        match self.kind(id) {
            TypeDef::Int { size, .. } | TypeDef::Float { size, .. } => (*size as u64).clamp(1, 8),
            TypeDef::Pointer { .. } => 8,
            TypeDef::Array { elem, .. } => self.align_of(*elem),
            TypeDef::Struct(s) => s.layout.as_ref().map_or(1, |l| l.align.max(1)),
            TypeDef::Enum(e) => e.size as u64,
            TypeDef::String => 1,
            _ => 1,
        }
    }

    /// The pointed-to type of a pointer, or the element type of an array.
    pub fn referent(&self, id: TypeId) -> Option<TypeId> {
        match self.kind(id) {
            TypeDef::Pointer { target, .. } => Some(*target),
            TypeDef::Array { elem, .. } => Some(*elem),
            _ => None,
        }
    }

    pub fn is_userland_pointer(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Pointer { userland: true, .. })
    }

    /// Finds `name` among the members of a struct or union, looking through
    /// anonymous members; returns the member's type and bit offset.
    pub fn find_member(&self, id: TypeId, name: &str) -> Option<(TypeId, u64, u32)> {
        let TypeDef::Struct(s) = self.kind(id) else {
            return None;
        };
        let layout = s.layout.as_ref()?;
        for m in &layout.members {
            if m.name == name {
                return Some((m.ty, m.bit_offset, m.bit_size));
            }
            if m.name.is_empty()
                && let Some((t, off, bits)) = self.find_member(m.ty, name)
            {
                return Some((t, m.bit_offset + off, bits));
            }
        }
        None
    }

    /// The type's name as D prints it in messages (`int`, `char *`,
    /// `struct task_struct *`, `string`, `int [4]`).
    pub fn name(&self, id: TypeId) -> String {
        match self.def(id) {
            TypeDef::Void => "void".into(),
            TypeDef::Int { name, .. } | TypeDef::Float { name, .. } => (*name).into(),
            TypeDef::String => "string".into(),
            TypeDef::Pointer { target, .. } => {
                let inner = self.name(*target);
                if matches!(self.def(*target), TypeDef::Function { .. }) {
                    inner
                } else if inner.ends_with('*') {
                    format!("{inner}*")
                } else {
                    format!("{inner} *")
                }
            }
            TypeDef::Array { elem, len } => format!("{} [{len}]", self.name(*elem)),
            TypeDef::Struct(s) => {
                let kw = if s.is_union { "union" } else { "struct" };
                match &s.name {
                    Some(n) => format!("{kw} {n}"),
                    None => format!("{kw} <anon>"),
                }
            }
            TypeDef::Enum(e) => match &e.name {
                Some(n) => format!("enum {n}"),
                None => "enum <anon>".into(),
            },
            TypeDef::Typedef { name, .. } => name.clone(),
            TypeDef::Qualified {
                target,
                is_const,
                is_volatile,
            } => {
                let mut s = String::new();
                if *is_const {
                    s.push_str("const ");
                }
                if *is_volatile {
                    s.push_str("volatile ");
                }
                s.push_str(&self.name(*target));
                s
            }
            TypeDef::Function { ret, params, .. } => {
                let ps: Vec<String> = params.iter().map(|p| self.name(*p)).collect();
                format!("{} (*)({})", self.name(*ret), ps.join(", "))
            }
            TypeDef::Dynamic(kind) => (*kind).into(),
        }
    }

    pub fn is_dynamic(&self, id: TypeId) -> bool {
        matches!(self.kind(id), TypeDef::Dynamic(_))
    }

    /// An integer type's rank for D's usual arithmetic conversions: its
    /// width in bits, plus one if it is unsigned. Enums count as `int`.
    fn int_rank(&self, id: TypeId) -> u32 {
        match self.kind(id) {
            TypeDef::Int { size, signed, .. } => size * 8 + u32::from(!signed),
            _ => 32,
        }
    }

    /// D's usual arithmetic conversions for two integer operands: the type
    /// of `a op b`. Unlike C there are no integer promotions (`char + char`
    /// is `char`): the operand of higher rank wins; of two types of equal
    /// rank, the one whose underlying type was defined later wins (DTrace
    /// compares CTF type ids), and the left one if both are the same type.
    /// The winner keeps its name as written (`pid_t`, not `int`); an enum
    /// operand takes part as `int`.
    pub fn arith_result(&self, a: TypeId, b: TypeId) -> TypeId {
        let as_int = |t: TypeId| {
            if matches!(self.kind(t), TypeDef::Enum(_)) {
                self.builtins.int
            } else {
                t
            }
        };
        let (a, b) = (as_int(a), as_int(b));
        let (ra, rb) = (self.int_rank(a), self.int_rank(b));
        if ra != rb {
            return if ra > rb { a } else { b };
        }
        if self.resolve(a) < self.resolve(b) {
            b
        } else {
            a
        }
    }

    /// The type of an integer constant (`dt_node_int`): the first type of
    /// `int, unsigned int, long, unsigned long, long long, unsigned long
    /// long` that can hold `value`, starting at the entry the suffix names
    /// (one step per `u`, two per `l`) and skipping the unsigned entries for
    /// decimal constants and `u`-suffixed ones. `None` when no type can hold
    /// it, which DTrace reports as `D_INT_OFLOW`: a decimal constant above
    /// `INT64_MAX` has no type unless it is written in hex or with `u`.
    pub fn int_literal_type(
        &self,
        value: u64,
        unsigned: bool,
        longs: u8,
        decimal: bool,
    ) -> Option<TypeId> {
        let b = &self.builtins;
        let table = [
            (b.int, i32::MAX as u64),
            (b.uint, u32::MAX as u64),
            (b.long, i64::MAX as u64),
            (b.ulong, u64::MAX),
            (b.longlong, i64::MAX as u64),
            (b.ulonglong, u64::MAX),
        ];
        let start = usize::from(unsigned) + 2 * usize::from(longs.min(2));
        let step = if decimal || unsigned { 2 } else { 1 };
        table
            .iter()
            .skip(start)
            .step_by(step)
            .find(|(_, limit)| value <= *limit)
            .map(|(t, _)| *t)
    }

    /// Whether two types are the same type as far as D cares (CTF's
    /// `ctf_type_compat`): typedefs and qualifiers are looked through,
    /// integers and floats match by encoding, pointers and arrays by their
    /// element types, structs, unions and enums by kind and tag.
    pub fn compatible(&self, a: TypeId, b: TypeId) -> bool {
        let (ra, rb) = (self.resolve(a), self.resolve(b));
        if ra == rb {
            return true;
        }
        match (self.def(ra), self.def(rb)) {
            (
                TypeDef::Int {
                    size: sa,
                    signed: ga,
                    is_char: ca,
                    ..
                },
                TypeDef::Int {
                    size: sb,
                    signed: gb,
                    is_char: cb,
                    ..
                },
            ) => sa == sb && ga == gb && ca == cb,
            (TypeDef::Float { size: sa, .. }, TypeDef::Float { size: sb, .. }) => sa == sb,
            (TypeDef::Void, TypeDef::Void) | (TypeDef::String, TypeDef::String) => true,
            (TypeDef::Pointer { target: ta, .. }, TypeDef::Pointer { target: tb, .. }) => {
                self.compatible(*ta, *tb)
            }
            (TypeDef::Array { elem: ea, len: la }, TypeDef::Array { elem: eb, len: lb }) => {
                la == lb && self.compatible(*ea, *eb)
            }
            (TypeDef::Struct(x), TypeDef::Struct(y)) => {
                x.is_union == y.is_union && x.name.is_some() && x.name == y.name
            }
            (TypeDef::Enum(x), TypeDef::Enum(y)) => x.name.is_some() && x.name == y.name,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_conversions_have_no_integer_promotions() {
        let t = TypeTable::new();
        let b = t.builtins;
        // Narrow operands keep their type.
        assert_eq!(t.arith_result(b.char, b.char), b.char);
        assert_eq!(t.arith_result(b.short, b.short), b.short);
        assert_eq!(t.arith_result(b.char, b.short), b.short);
        // Higher rank wins; unsigned outranks signed of the same width.
        assert_eq!(t.arith_result(b.int, b.uint), b.uint);
        assert_eq!(t.arith_result(b.uint, b.int), b.uint);
        assert_eq!(t.arith_result(b.int, b.long), b.long);
        assert_eq!(t.arith_result(b.uint, b.long), b.long);
        assert_eq!(t.arith_result(b.ulong, b.long), b.ulong);
        assert_eq!(t.arith_result(b.uchar, b.short), b.short);
        // Equal rank: the later-defined type wins, whichever side it is on.
        assert_eq!(t.arith_result(b.long, b.longlong), b.longlong);
        assert_eq!(t.arith_result(b.longlong, b.long), b.longlong);
        assert_eq!(t.arith_result(b.char, b.schar), b.schar);
        // The same underlying type: the left operand's name is kept.
        assert_eq!(t.arith_result(b.int64, b.long), b.int64);
        assert_eq!(t.arith_result(b.long, b.int64), b.long);
        assert_eq!(t.arith_result(b.pid_t, b.int), b.pid_t);
    }

    #[test]
    fn enums_convert_as_int() {
        let mut t = TypeTable::new();
        let b = t.builtins;
        let e = t.add(TypeDef::Enum(EnumDef {
            name: Some("e".into()),
            size: 4,
            values: vec![("A".into(), 0)],
        }));
        assert_eq!(t.arith_result(e, e), b.int);
        assert_eq!(t.arith_result(e, b.char), b.int);
        assert_eq!(t.arith_result(e, b.uint), b.uint);
    }

    #[test]
    fn integer_constants_take_the_first_type_that_fits() {
        let t = TypeTable::new();
        let b = t.builtins;
        let dec = |v: u64| t.int_literal_type(v, false, 0, true);
        let hex = |v: u64| t.int_literal_type(v, false, 0, false);
        // Unsuffixed decimal: int, long, long long; never unsigned.
        assert_eq!(dec(0x7fff_ffff), Some(b.int));
        assert_eq!(dec(0x8000_0000), Some(b.long));
        assert_eq!(dec(i64::MAX as u64), Some(b.long));
        assert_eq!(dec(i64::MAX as u64 + 1), None);
        assert_eq!(dec(u64::MAX), None);
        // Unsuffixed hex or octal: every type in order.
        assert_eq!(hex(0x7fff_ffff), Some(b.int));
        assert_eq!(hex(0x8000_0000), Some(b.uint));
        assert_eq!(hex(0x1_0000_0000), Some(b.long));
        assert_eq!(hex(0x8000_0000_0000_0000), Some(b.ulong));
        // Suffixes pick the starting entry.
        assert_eq!(t.int_literal_type(1, true, 0, true), Some(b.uint));
        assert_eq!(t.int_literal_type(1 << 32, true, 0, false), Some(b.ulong));
        assert_eq!(t.int_literal_type(u64::MAX, true, 0, true), Some(b.ulong));
        assert_eq!(t.int_literal_type(1, false, 1, true), Some(b.long));
        assert_eq!(t.int_literal_type(u64::MAX, false, 1, true), None);
        assert_eq!(t.int_literal_type(u64::MAX, false, 1, false), Some(b.ulong));
        assert_eq!(t.int_literal_type(1, true, 1, false), Some(b.ulong));
        assert_eq!(t.int_literal_type(1, false, 2, true), Some(b.longlong));
        assert_eq!(
            t.int_literal_type(u64::MAX, false, 2, false),
            Some(b.ulonglong)
        );
        assert_eq!(t.int_literal_type(1, true, 2, true), Some(b.ulonglong));
    }

    #[test]
    fn fixed_width_typedefs_follow_lp64() {
        let t = TypeTable::new();
        let b = t.builtins;
        assert_eq!(t.resolve(b.int64), b.long);
        assert_eq!(t.resolve(b.uint64), b.ulong);
        assert_eq!(t.resolve(b.size_t), b.ulong);
        assert_eq!(t.resolve(b.ptrdiff_t), b.long);
        assert_eq!(t.resolve(b.pid_t), b.int);
    }

    #[test]
    fn compatibility_looks_through_typedefs_and_qualifiers() {
        let mut t = TypeTable::new();
        let b = t.builtins;
        let cchar = t.add(TypeDef::Qualified {
            target: b.char,
            is_const: true,
            is_volatile: false,
        });
        let cchar_ptr = t.pointer_to(cchar, false);
        assert!(t.compatible(cchar_ptr, b.char_ptr));
        assert!(t.compatible(b.int64, b.long));
        // `long` and `long long` have the same encoding.
        assert!(t.compatible(b.long, b.longlong));
        assert!(!t.compatible(b.int, b.uint));
        assert!(!t.compatible(b.char_ptr, b.void_ptr));
    }

    #[test]
    fn dynamic_types_are_named_by_kind() {
        let t = TypeTable::new();
        let b = t.builtins;
        assert_eq!(t.name(b.dyn_aggregation), "aggregation");
        assert_eq!(t.name(b.dyn_aggfunc), "aggregating function");
        assert!(t.is_dynamic(b.dyn_aggfunc));
        assert!(!t.is_void(b.dyn_aggfunc));
        assert!(!t.is_scalar(b.dyn_aggfunc));
        assert_eq!(t.size_of(b.dyn_aggfunc, 256), 0);
    }

    #[test]
    fn names_print_like_d() {
        let mut t = TypeTable::new();
        let b = t.builtins;
        assert_eq!(t.name(b.char_ptr), "char *");
        let pp = t.pointer_to(b.char_ptr, false);
        assert_eq!(t.name(pp), "char **");
        assert_eq!(t.name(b.uint64), "uint64_t");
        assert_eq!(t.size_of(b.uint64, 256), 8);
        assert_eq!(t.size_of(b.string, 256), 256);
    }
}
