//! Declarations → types.
//!
//! C declarations are read in two halves: the specifiers give a base type
//! (`unsigned long`, `struct foo`, a typedef name), then the declarator
//! derives from it, innermost derivation first (`*a[4]` is an array of four
//! pointers). Struct layout follows the LP64 C ABI the kernel and the C
//! compiler use: each member aligned to its own alignment, bit-fields packed
//! into units of their declared type, the size rounded up to the largest
//! alignment.

use super::Checker;
use crate::types::{EnumDef, Member, StructDef, StructLayout, TagKind, TypeDef, TypeId};
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};

impl Checker<'_> {
    /// The base type named by declaration specifiers.
    pub(crate) fn base_type(&mut self, specs: &DeclSpecs) -> Result<TypeId> {
        let b = self.types.builtins;
        let base = match &specs.base {
            BaseType::Keywords(kws) => self.keyword_type(kws, specs)?,
            BaseType::Named { module, name } => self
                .lookup_typedef(module.as_deref(), name)
                .ok_or_else(|| {
                    Diag::new(
                        "D_TYPE_ERR",
                        specs.span,
                        format!("failed to resolve type {name}"),
                    )
                })?,
            BaseType::Struct {
                is_union,
                module,
                tag,
                members,
            } => self.struct_type(
                *is_union,
                module.as_deref(),
                tag.as_deref(),
                members.as_deref(),
                specs,
            )?,
            BaseType::Enum {
                module,
                tag,
                enumerators,
            } => self.enum_type(
                module.as_deref(),
                tag.as_deref(),
                enumerators.as_deref(),
                specs,
            )?,
        };
        let _ = b;
        if specs.is_const || specs.is_volatile {
            return Ok(self.types.add(TypeDef::Qualified {
                target: base,
                is_const: specs.is_const,
                is_volatile: specs.is_volatile,
            }));
        }
        Ok(base)
    }

    fn keyword_type(&mut self, kws: &[TypeKeyword], specs: &DeclSpecs) -> Result<TypeId> {
        let b = self.types.builtins;
        let (mut signed, mut unsigned, mut short, mut longs, mut char, mut int) =
            (false, false, false, 0, false, false);
        let mut other = None;
        for k in kws {
            match k {
                TypeKeyword::Signed => signed = true,
                TypeKeyword::Unsigned => unsigned = true,
                TypeKeyword::Short => short = true,
                TypeKeyword::Long => longs += 1,
                TypeKeyword::Char => char = true,
                TypeKeyword::Int => int = true,
                TypeKeyword::Void => other = Some(b.void),
                TypeKeyword::Float => other = Some(b.float),
                TypeKeyword::Double => {
                    other = Some(if longs > 0 { b.long_double } else { b.double })
                }
                TypeKeyword::String => other = Some(b.string),
                TypeKeyword::Bool => other = Some(b.uchar),
            }
        }
        let bad = || {
            Diag::new(
                "D_TYPE_ERR",
                specs.span,
                "invalid type combination".to_string(),
            )
        };
        if let Some(t) = other {
            if signed || unsigned || short || char || int {
                return Err(bad());
            }
            if longs > 0 && t != b.long_double {
                return Err(bad());
            }
            return Ok(t);
        }
        if signed && unsigned || (short && longs > 0) || (char && (short || longs > 0)) || longs > 2
        {
            return Err(bad());
        }
        let _ = int;
        Ok(match (char, short, longs, unsigned, signed) {
            (true, _, _, true, _) => b.uchar,
            (true, _, _, _, true) => b.schar,
            (true, ..) => b.char,
            (_, true, _, true, _) => b.ushort,
            (_, true, ..) => b.short,
            (_, _, 1, true, _) => b.ulong,
            (_, _, 1, ..) => b.long,
            (_, _, 2, true, _) => b.ulonglong,
            (_, _, 2, ..) => b.longlong,
            (_, _, _, true, _) => b.uint,
            _ => b.int,
        })
    }

    pub(crate) fn lookup_typedef(&mut self, module: Option<&str>, name: &str) -> Option<TypeId> {
        if (module.is_none() || module == Some("D") || module == Some("C"))
            && let Some(t) = self.types.typedef(name)
        {
            return Some(t);
        }
        self.btf_typedef(name)
    }

    fn struct_type(
        &mut self,
        is_union: bool,
        module: Option<&str>,
        tag: Option<&str>,
        members: Option<&[MemberDecl]>,
        specs: &DeclSpecs,
    ) -> Result<TypeId> {
        let kind = if is_union {
            TagKind::Union
        } else {
            TagKind::Struct
        };
        let Some(members) = members else {
            // A reference to a tag: D's own first, then the kernel's.
            let tag = tag.unwrap_or_default();
            if module.is_none()
                && let Some(t) = self.types.tag(kind, tag)
            {
                return Ok(t);
            }
            if let Some(t) = self.btf_tag(kind, tag) {
                return Ok(t);
            }
            // An incomplete (forward) declaration.
            let id = self.types.add(TypeDef::Struct(StructDef {
                is_union,
                name: Some(tag.to_string()),
                layout: None,
                btf_id: None,
            }));
            self.types.set_tag(kind, tag, id);
            return Ok(id);
        };
        if let Some(t) = tag
            && let Some(existing) = self.types.tag(kind, t)
            && matches!(
                self.types.def(existing),
                TypeDef::Struct(StructDef {
                    layout: Some(_),
                    ..
                })
            )
        {
            return Err(Diag::new(
                "D_DECL_TYPERED",
                specs.span,
                format!(
                    "type redeclared: {} {t}",
                    if is_union { "union" } else { "struct" }
                ),
            ));
        }
        let id = match tag.and_then(|t| self.types.tag(kind, t)) {
            Some(id) => id,
            None => self.types.add(TypeDef::Struct(StructDef {
                is_union,
                name: tag.map(str::to_string),
                layout: None,
                btf_id: None,
            })),
        };
        if let Some(t) = tag {
            self.types.set_tag(kind, t, id);
        }
        let mut out = Vec::new();
        let (mut offset_bits, mut size, mut align) = (0u64, 0u64, 1u64);
        for m in members {
            let base = self.base_type(&m.specs)?;
            for d in &m.declarators {
                let (ty, name) = self.derive(base, &d.declarator)?;
                let tsize = self.types.size_of(ty, self.strsize);
                let talign = self.types.align_of(ty).max(1);
                if let Some(w) = &d.bit_width {
                    let width = match self.const_int(w)? {
                        Some(v) if v >= 0 => v,
                        _ => {
                            return Err(Diag::new(
                                "D_DECL_BFCONST",
                                w.span,
                                "positive integral constant expression expected as bit-field size",
                            ));
                        }
                    };
                    if !self.types.is_integer(ty) {
                        return Err(Diag::new(
                            "D_DECL_BFTYPE",
                            w.span,
                            format!(
                                "invalid type for bit-field: {}",
                                name.clone().unwrap_or_default()
                            ),
                        ));
                    }
                    if width as u64 > tsize * 8 {
                        return Err(Diag::new(
                            "D_DECL_BFSIZE",
                            w.span,
                            format!(
                                "bit-field too big for type: {}",
                                name.clone().unwrap_or_default()
                            ),
                        ));
                    }
                    let width = width as u64;
                    let unit = tsize * 8;
                    let at = if is_union { 0 } else { offset_bits };
                    // A bit-field may not straddle a unit of its type.
                    let start = if width == 0 || (at % unit) + width > unit {
                        at.div_ceil(unit) * unit
                    } else {
                        at
                    };
                    if width > 0 {
                        out.push(Member {
                            name: name.unwrap_or_default(),
                            ty,
                            bit_offset: start,
                            bit_size: width as u32,
                        });
                    }
                    align = align.max(talign);
                    let end = start + width;
                    if !is_union {
                        offset_bits = end;
                    }
                    size = size.max(end.div_ceil(8));
                    continue;
                }
                if tsize == 0 && !self.types.is_array(ty) {
                    return Err(Diag::new(
                        "D_DECL_INCOMPLETE",
                        m.span,
                        format!(
                            "incomplete struct/union/enum {}: {}",
                            self.types.name(ty),
                            name.unwrap_or_default()
                        ),
                    ));
                }
                let at = if is_union {
                    0
                } else {
                    offset_bits.div_ceil(8).div_ceil(talign) * talign
                };
                out.push(Member {
                    name: name.unwrap_or_default(),
                    ty,
                    bit_offset: at * 8,
                    bit_size: 0,
                });
                align = align.max(talign);
                if !is_union {
                    offset_bits = (at + tsize) * 8;
                }
                size = size.max(at + tsize);
            }
        }
        let size = size.div_ceil(align) * align;
        if let TypeDef::Struct(s) = self.types.def_mut(id) {
            s.layout = Some(StructLayout {
                size,
                align,
                members: out,
            });
        }
        Ok(id)
    }

    fn enum_type(
        &mut self,
        module: Option<&str>,
        tag: Option<&str>,
        enumerators: Option<&[Enumerator]>,
        specs: &DeclSpecs,
    ) -> Result<TypeId> {
        let Some(list) = enumerators else {
            let tag = tag.unwrap_or_default();
            if module.is_none()
                && let Some(t) = self.types.tag(TagKind::Enum, tag)
            {
                return Ok(t);
            }
            if let Some(t) = self.btf_tag(TagKind::Enum, tag) {
                return Ok(t);
            }
            return Err(Diag::new(
                "D_TYPE_ERR",
                specs.span,
                format!("failed to resolve type enum {tag}"),
            ));
        };
        let mut values = Vec::new();
        let mut next = 0i64;
        for e in list {
            if let Some(v) = &e.value {
                next = self.const_int(v)?.ok_or_else(|| {
                    Diag::new(
                        "D_DECL_ENCONST",
                        v.span,
                        format!(
                            "enumerator '{}' must be assigned to an integral constant expression",
                            e.name
                        ),
                    )
                })?;
            }
            if self.enumerators.contains_key(&e.name) || self.globals.contains_key(&e.name) {
                return Err(Diag::new(
                    "D_DECL_IDRED",
                    e.span,
                    format!("identifier redeclared: {}", e.name),
                ));
            }
            values.push((e.name.clone(), next));
            next = next.wrapping_add(1);
        }
        let id = self.types.add(TypeDef::Enum(EnumDef {
            name: tag.map(str::to_string),
            size: 4,
            values: values.clone(),
        }));
        if let Some(t) = tag {
            self.types.set_tag(TagKind::Enum, t, id);
        }
        for (n, v) in values {
            self.enumerators.insert(n, (v, id));
        }
        Ok(id)
    }

    /// Applies a declarator's derivations to `base`.
    pub(crate) fn derive(
        &mut self,
        base: TypeId,
        d: &Declarator,
    ) -> Result<(TypeId, Option<String>)> {
        let mut ty = base;
        for der in &d.derived {
            ty = match der {
                Derived::Pointer { .. } => {
                    let userland = false;
                    self.types.pointer_to(ty, userland)
                }
                Derived::Array(ArrayDim::Size(e)) => {
                    let n = match self.const_int(e)? {
                        Some(n) if n > 0 => n,
                        _ => {
                            return Err(Diag::new(
                                "D_DECL_ARRSUB",
                                e.span,
                                "positive integral constant expression or tuple signature expected as array declaration subscript",
                            ));
                        }
                    };
                    if n > i64::from(i32::MAX) {
                        return Err(Diag::new(
                            "D_DECL_ARRBIG",
                            e.span,
                            "array dimension too big",
                        ));
                    }
                    self.types.array_of(ty, n as u64)
                }
                Derived::Array(ArrayDim::Unsized) => self.types.array_of(ty, 0),
                // Associative-array keys are recorded by the variable
                // declaration, not the type.
                Derived::Array(ArrayDim::Keys(_)) => ty,
                Derived::Function { params, varargs } => {
                    let mut ps = Vec::new();
                    for p in params {
                        ps.push(self.type_name(&p.ty)?);
                    }
                    self.types.add(TypeDef::Function {
                        ret: ty,
                        params: ps,
                        varargs: *varargs,
                    })
                }
            };
        }
        Ok((ty, d.name.clone()))
    }

    /// The type denoted by a type name (casts, sizeof, parameters).
    pub(crate) fn type_name(&mut self, t: &TypeName) -> Result<TypeId> {
        let base = self.base_type(&t.specs)?;
        Ok(self.derive(base, &t.declarator)?.0)
    }
}
