//! Copying kernel types from BTF into the compiler's type table.
//!
//! Importing is shallow by design: a struct reached *by value* (a member or
//! array element) gets its layout at once, because its size is needed; a
//! struct reached *through a pointer* becomes a stub that remembers its BTF
//! id, and [`complete`] lays it out the first time a member is looked up.
//! This keeps `curthread` (whose type reaches most of the kernel) to a few
//! dozen imported types.

use super::{Btf, Kind};
use crate::sema::Checker;
use crate::types::{EnumDef, Member, StructDef, StructLayout, TypeDef, TypeId};

pub(crate) fn import(c: &mut Checker<'_>, id: u32) -> TypeId {
    import_ty(c, id, false)
}

fn import_ty(c: &mut Checker<'_>, id: u32, behind_pointer: bool) -> TypeId {
    if let Some(&t) = c.btf_imported.get(&id) {
        if !behind_pointer {
            complete(c, t);
        }
        return t;
    }
    let b = c.types.builtins;
    let Some(btf) = c.btf.get() else {
        return b.void;
    };
    let Some(rec) = btf.get(id) else {
        return b.void;
    };
    let name = btf.string(rec.name_off).to_string();
    let t = match rec.kind {
        Kind::Void | Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => b.void,
        Kind::Int => {
            let (enc, _, bits) = btf.int_encoding(&rec).unwrap_or((0, 0, 32));
            let signed = enc & 1 != 0;
            let is_char = enc & 2 != 0 || name.contains("char");
            let size = rec.size_or_type.max(bits.div_ceil(8));
            builtin_int(c, size, signed, is_char)
        }
        Kind::Float => match rec.size_or_type {
            4 => b.float,
            8 => b.double,
            _ => b.long_double,
        },
        Kind::Ptr => {
            let target = import_ty(c, rec.size_or_type, true);
            c.types.pointer_to(target, false)
        }
        Kind::Array => {
            let (elem, _, n) = btf.array(&rec).unwrap_or((0, 0, 0));
            let e = import_ty(c, elem, behind_pointer);
            c.types.array_of(e, n as u64)
        }
        Kind::Typedef => {
            // Record first so self-referential typedef chains terminate.
            let target = import_ty(c, rec.size_or_type, behind_pointer);
            let t = c.types.add(TypeDef::Typedef { name, target });
            c.btf_imported.insert(id, t);
            return t;
        }
        Kind::Const | Kind::Volatile => {
            let target = import_ty(c, rec.size_or_type, behind_pointer);
            c.types.add(TypeDef::Qualified {
                target,
                is_const: rec.kind == Kind::Const,
                is_volatile: rec.kind == Kind::Volatile,
            })
        }
        Kind::Restrict | Kind::TypeTag => import_ty(c, rec.size_or_type, behind_pointer),
        Kind::Struct | Kind::Union | Kind::Fwd => {
            let is_union = rec.kind == Kind::Union || (rec.kind == Kind::Fwd && rec.kind_flag);
            let t = c.types.add(TypeDef::Struct(StructDef {
                is_union,
                name: (!name.is_empty()).then_some(name),
                layout: None,
                btf_id: (rec.kind != Kind::Fwd).then_some(id),
            }));
            c.btf_imported.insert(id, t);
            if !behind_pointer {
                complete(c, t);
            }
            return t;
        }
        Kind::Enum | Kind::Enum64 => {
            let values = btf.enumerators(&rec);
            c.types.add(TypeDef::Enum(EnumDef {
                name: (!name.is_empty()).then_some(name),
                size: rec.size_or_type.max(1),
                values,
            }))
        }
        Kind::FuncProto => {
            let ret = import_ty(c, rec.size_or_type, true);
            let params = btf.params(&rec);
            let varargs = params.last().is_some_and(|p| p.1 == 0);
            let ps = params
                .iter()
                .filter(|p| p.1 != 0)
                .map(|p| import_ty(c, p.1, true))
                .collect();
            c.types.add(TypeDef::Function {
                ret,
                params: ps,
                varargs,
            })
        }
    };
    c.btf_imported.insert(id, t);
    t
}

fn builtin_int(c: &Checker<'_>, size: u32, signed: bool, is_char: bool) -> TypeId {
    let b = c.types.builtins;
    match (size, signed, is_char) {
        (1, true, true) => b.char,
        (1, false, true) => b.uchar,
        (1, true, _) => b.schar,
        (1, false, _) => b.uchar,
        (2, true, _) => b.short,
        (2, false, _) => b.ushort,
        (4, true, _) => b.int,
        (4, false, _) => b.uint,
        (_, true, _) => b.long,
        (_, false, _) => b.ulong,
    }
}

/// Lays out a kernel struct stub (no-op for anything else).
pub(crate) fn complete(c: &mut Checker<'_>, t: TypeId) {
    let t = c.types.resolve(t);
    let btf_id = match c.types.def(t) {
        TypeDef::Struct(StructDef {
            layout: None,
            btf_id: Some(id),
            ..
        }) => *id,
        _ => return,
    };
    let Some(btf) = c.btf.get() else { return };
    let btf: &Btf = btf;
    let Some(rec) = btf.get(btf_id) else { return };
    // Mark as laid out (empty) first: a struct containing a pointer to
    // itself must not recurse.
    if let TypeDef::Struct(s) = c.types.def_mut(t) {
        s.layout = Some(StructLayout {
            size: rec.size_or_type as u64,
            align: 1,
            members: Vec::new(),
        });
    }
    let mut members = Vec::new();
    let mut align = 1;
    for m in btf.members(&rec) {
        let ty = import_ty(c, m.ty, false);
        align = align.max(c.types.align_of(ty));
        members.push(Member {
            name: btf.string(m.name_off).to_string(),
            ty,
            bit_offset: m.bit_offset as u64,
            bit_size: m.bitfield_size,
        });
    }
    if let TypeDef::Struct(s) = c.types.def_mut(t) {
        s.layout = Some(StructLayout {
            size: rec.size_or_type as u64,
            align,
            members,
        });
    }
}
