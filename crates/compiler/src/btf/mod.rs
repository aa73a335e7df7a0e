//! BTF, read lazily: the kernel's own type information in the role CTF
//! plays for illumos DTrace.
//!
//! The kernel publishes its types at `/sys/kernel/btf/vmlinux` (~5 MB,
//! ~126k types). Decoding all of it would cost more than the rest of
//! start-up, so [`Btf::parse`] only validates the header and records where
//! each type starts (one linear pass over fixed-size records); names and
//! members are decoded when a D program asks for them, and
//! [`import`] copies only the types a program touches into the compiler's
//! [`crate::types::TypeTable`], leaving types behind pointers as stubs
//! until something dereferences them.
//!
//! Layout (`include/uapi/linux/btf.h`): a header, then type records, then a
//! string section. Every record is `name_off, info, size_or_type` followed by
//! kind-specific data whose length depends on the kind and on `vlen`. Type id
//! 0 is `void`; ids count records from 1. Module BTF ("split BTF") continues
//! the numbering of the base.

pub mod import;

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Void,
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    Datasec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
}

impl Kind {
    fn from_raw(k: u32) -> Option<Kind> {
        use Kind::*;
        Some(match k {
            0 => Void,
            1 => Int,
            2 => Ptr,
            3 => Array,
            4 => Struct,
            5 => Union,
            6 => Enum,
            7 => Fwd,
            8 => Typedef,
            9 => Volatile,
            10 => Const,
            11 => Restrict,
            12 => Func,
            13 => FuncProto,
            14 => Var,
            15 => Datasec,
            16 => Float,
            17 => DeclTag,
            18 => TypeTag,
            19 => Enum64,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub enum BtfError {
    Io(std::io::Error),
    Format(&'static str),
}

impl std::fmt::Display for BtfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BtfError::Io(e) => write!(f, "{e}"),
            BtfError::Format(m) => write!(f, "invalid BTF: {m}"),
        }
    }
}

/// A decoded view of one type record.
#[derive(Debug, Clone, Copy)]
pub struct TypeRec<'a> {
    pub kind: Kind,
    pub name_off: u32,
    pub vlen: u32,
    pub kind_flag: bool,
    /// `size` for ints, structs, unions, enums, floats, datasecs; the
    /// referenced type id for pointers, typedefs, qualifiers, funcs, vars.
    pub size_or_type: u32,
    /// Kind-specific bytes after the common header.
    pub extra: &'a [u8],
}

#[derive(Debug, Clone, Copy)]
pub struct BtfMember {
    pub name_off: u32,
    pub ty: u32,
    pub bit_offset: u32,
    pub bitfield_size: u32,
}

/// Earlier name lookups: (kind, name) → type id, or `None` for a miss.
type NameCache = HashMap<(Kind, Box<str>), Option<u32>>;

pub struct Btf {
    data: Vec<u8>,
    types_start: usize,
    strings_start: usize,
    strings_len: usize,
    /// Byte offset of each type record, by id - 1.
    offsets: Vec<u32>,
    /// Answers of earlier name lookups.
    names: Mutex<NameCache>,
}

fn u32_at(d: &[u8], off: usize) -> Option<u32> {
    d.get(off..off + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Btf {
    /// The running kernel's BTF, or why it is unavailable.
    pub fn load_vmlinux() -> Result<Btf, BtfError> {
        let data = std::fs::read("/sys/kernel/btf/vmlinux").map_err(BtfError::Io)?;
        Btf::parse(data)
    }

    pub fn parse(data: Vec<u8>) -> Result<Btf, BtfError> {
        let magic = data
            .get(0..2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or(BtfError::Format("truncated header"))?;
        if magic != 0xeb9f {
            return Err(BtfError::Format(
                "bad magic (big-endian BTF is not supported)",
            ));
        }
        let hdr = |i| u32_at(&data, i).ok_or(BtfError::Format("truncated header"));
        let hdr_len = hdr(4)? as usize;
        let type_off = hdr(8)? as usize;
        let type_len = hdr(12)? as usize;
        let str_off = hdr(16)? as usize;
        let str_len = hdr(20)? as usize;
        let types_start = hdr_len + type_off;
        let strings_start = hdr_len + str_off;
        if types_start + type_len > data.len() || strings_start + str_len > data.len() {
            return Err(BtfError::Format("sections out of bounds"));
        }
        let mut offsets = Vec::with_capacity(type_len / 16);
        let mut off = types_start;
        let end = types_start + type_len;
        while off < end {
            offsets.push(off as u32);
            let info = u32_at(&data, off + 4).ok_or(BtfError::Format("truncated type"))?;
            let vlen = (info & 0xffff) as usize;
            let kind =
                Kind::from_raw((info >> 24) & 0x1f).ok_or(BtfError::Format("unknown kind"))?;
            let extra = match kind {
                Kind::Int => 4,
                Kind::Array => 12,
                Kind::Struct | Kind::Union => 12 * vlen,
                Kind::Enum => 8 * vlen,
                Kind::FuncProto => 8 * vlen,
                Kind::Var => 4,
                Kind::Datasec => 12 * vlen,
                Kind::DeclTag => 4,
                Kind::Enum64 => 12 * vlen,
                _ => 0,
            };
            off += 12 + extra;
        }
        if off != end {
            return Err(BtfError::Format("type section does not end on a record"));
        }
        Ok(Btf {
            data,
            types_start,
            strings_start,
            strings_len: str_len,
            offsets,
            names: Mutex::new(HashMap::new()),
        })
    }

    pub fn type_count(&self) -> u32 {
        self.offsets.len() as u32
    }

    pub fn string(&self, off: u32) -> &str {
        let start = self.strings_start + off as usize;
        let limit = self.strings_start + self.strings_len;
        if start >= limit {
            return "";
        }
        let bytes = &self.data[start..limit];
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        std::str::from_utf8(&bytes[..len]).unwrap_or("")
    }

    pub fn get(&self, id: u32) -> Option<TypeRec<'_>> {
        if id == 0 {
            return Some(TypeRec {
                kind: Kind::Void,
                name_off: 0,
                vlen: 0,
                kind_flag: false,
                size_or_type: 0,
                extra: &[],
            });
        }
        let off = *self.offsets.get(id as usize - 1)? as usize;
        let _ = self.types_start;
        let name_off = u32_at(&self.data, off)?;
        let info = u32_at(&self.data, off + 4)?;
        let size_or_type = u32_at(&self.data, off + 8)?;
        let next = self.offsets.get(id as usize).map_or(
            self.types_start + (self.data.len() - self.types_start),
            |&o| o as usize,
        );
        let next = next.min(self.strings_start.max(off + 12));
        Some(TypeRec {
            kind: Kind::from_raw((info >> 24) & 0x1f)?,
            name_off,
            vlen: info & 0xffff,
            kind_flag: info >> 31 != 0,
            size_or_type,
            extra: self.data.get(off + 12..next.max(off + 12))?,
        })
    }

    pub fn name(&self, id: u32) -> &str {
        self.get(id).map_or("", |t| self.string(t.name_off))
    }

    /// Members of a struct or union.
    pub fn members(&self, t: &TypeRec<'_>) -> Vec<BtfMember> {
        (0..t.vlen as usize)
            .filter_map(|i| {
                let b = i * 12;
                let name_off = u32_at(t.extra, b)?;
                let ty = u32_at(t.extra, b + 4)?;
                let off = u32_at(t.extra, b + 8)?;
                let (bit_offset, bitfield_size) = if t.kind_flag {
                    (off & 0xff_ffff, off >> 24)
                } else {
                    (off, 0)
                };
                Some(BtfMember {
                    name_off,
                    ty,
                    bit_offset,
                    bitfield_size,
                })
            })
            .collect()
    }

    /// Enumerators of an enum or enum64: `(name, value)`.
    pub fn enumerators(&self, t: &TypeRec<'_>) -> Vec<(String, i64)> {
        let signed = t.kind_flag;
        (0..t.vlen as usize)
            .filter_map(|i| match t.kind {
                Kind::Enum => {
                    let name = self.string(u32_at(t.extra, i * 8)?).to_string();
                    let raw = u32_at(t.extra, i * 8 + 4)?;
                    let v = if signed {
                        raw as i32 as i64
                    } else {
                        raw as i64
                    };
                    Some((name, v))
                }
                Kind::Enum64 => {
                    let name = self.string(u32_at(t.extra, i * 12)?).to_string();
                    let lo = u32_at(t.extra, i * 12 + 4)? as u64;
                    let hi = u32_at(t.extra, i * 12 + 8)? as u64;
                    Some((name, ((hi << 32) | lo) as i64))
                }
                _ => None,
            })
            .collect()
    }

    /// Parameters of a function prototype: `(name, type id)`; a final
    /// `(…, 0)` marks varargs.
    pub fn params(&self, t: &TypeRec<'_>) -> Vec<(String, u32)> {
        (0..t.vlen as usize)
            .filter_map(|i| {
                let name = self.string(u32_at(t.extra, i * 8)?).to_string();
                Some((name, u32_at(t.extra, i * 8 + 4)?))
            })
            .collect()
    }

    /// `(elem type, index type, count)` of an array.
    pub fn array(&self, t: &TypeRec<'_>) -> Option<(u32, u32, u32)> {
        Some((
            u32_at(t.extra, 0)?,
            u32_at(t.extra, 4)?,
            u32_at(t.extra, 8)?,
        ))
    }

    /// `(encoding, bit offset, bits)` of an integer; encoding bit 0 = signed,
    /// bit 1 = char, bit 2 = bool.
    pub fn int_encoding(&self, t: &TypeRec<'_>) -> Option<(u32, u32, u32)> {
        let v = u32_at(t.extra, 0)?;
        Some(((v >> 24) & 0xf, (v >> 16) & 0xff, v & 0xff))
    }

    /// The id of the named type of `kind`. Lookups scan the type records
    /// (about a millisecond for vmlinux) and remember their answers; a full
    /// name index would cost more than the handful of names a program uses.
    pub fn find_named(&self, kind: Kind, name: &str) -> Option<u32> {
        let key = (kind, Box::<str>::from(name));
        if let Some(&hit) = self.names.lock().ok().as_ref().and_then(|c| c.get(&key)) {
            return hit;
        }
        let found = (1..=self.offsets.len() as u32).find(|&id| {
            self.get(id).is_some_and(|t| {
                let k = if t.kind == Kind::Enum64 {
                    Kind::Enum
                } else {
                    t.kind
                };
                k == kind && t.name_off != 0 && self.string(t.name_off) == name
            })
        });
        if let Ok(mut cache) = self.names.lock() {
            cache.insert(key, found);
        }
        found
    }

    /// Skips typedefs and qualifiers.
    pub fn resolve(&self, mut id: u32) -> u32 {
        for _ in 0..64 {
            match self.get(id) {
                Some(t)
                    if matches!(
                        t.kind,
                        Kind::Typedef
                            | Kind::Const
                            | Kind::Volatile
                            | Kind::Restrict
                            | Kind::TypeTag
                    ) =>
                {
                    id = t.size_or_type
                }
                _ => return id,
            }
        }
        id
    }

    /// Byte offset of `member` (searched through anonymous members) in the
    /// struct `id`.
    pub fn member_offset(&self, id: u32, member: &str) -> Option<(u32, u32)> {
        let t = self.get(self.resolve(id))?;
        if !matches!(t.kind, Kind::Struct | Kind::Union) {
            return None;
        }
        for m in self.members(&t) {
            if m.name_off == 0 {
                if let Some((off, ty)) = self.member_offset(m.ty, member) {
                    return Some((m.bit_offset / 8 + off, ty));
                }
            } else if self.string(m.name_off) == member {
                return Some((m.bit_offset / 8, m.ty));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert!(Btf::parse(vec![1, 2, 3]).is_err());
        assert!(Btf::parse(vec![0; 64]).is_err());
    }

    #[test]
    fn reads_the_running_kernel() {
        let Ok(btf) = Btf::load_vmlinux() else {
            eprintln!("skipping: no kernel BTF");
            return;
        };
        let ts = btf
            .find_named(Kind::Struct, "task_struct")
            .expect("task_struct");
        let (off, _) = btf.member_offset(ts, "tgid").expect("tgid");
        assert!(off > 0);
    }
}

#[cfg(test)]
mod timing {
    #[test]
    #[ignore]
    fn load_time() {
        let t = std::time::Instant::now();
        let b = super::Btf::load_vmlinux().unwrap();
        let t1 = t.elapsed();
        let id = b.find_named(super::Kind::Struct, "task_struct");
        eprintln!("load {:?} names {:?} {:?}", t1, t.elapsed(), id);
    }
}

/// BTF loaded on first use, so programs that never touch kernel types
/// never pay for reading it.
pub struct LazyBtf {
    cell: std::sync::OnceLock<Option<Btf>>,
    load: fn() -> Option<Btf>,
}

impl LazyBtf {
    /// The running kernel's BTF.
    pub fn vmlinux() -> LazyBtf {
        LazyBtf {
            cell: std::sync::OnceLock::new(),
            load: || Btf::load_vmlinux().ok(),
        }
    }

    /// No kernel types (tests, and hosts without BTF).
    pub fn none() -> LazyBtf {
        LazyBtf {
            cell: std::sync::OnceLock::new(),
            load: || None,
        }
    }

    pub fn get(&self) -> Option<&Btf> {
        self.cell.get_or_init(self.load).as_ref()
    }

    /// Whether BTF has been read (for start-up measurements).
    pub fn is_loaded(&self) -> bool {
        self.cell.get().is_some()
    }
}
