//! D's built-in functions and their prototypes.
//!
//! Every name D predefines as a function is listed here with its kind and
//! its prototype, written the way DTrace writes them: `ret(params)`, where a
//! parameter is a type, `@` (any type), `[type]` (optional: may be absent,
//! but has that type when present) or a final `...` (any number of further
//! arguments of any type). The kind decides where the function may be used:
//! subroutines compute a value, tracing functions (actions) and aggregating
//! functions are statements, and using one as a value is a code generation
//! error (`D_CG_EXPR`).
//!
//! Argument lists are checked against the prototype as DTrace's
//! `dt_idcook_sign` does, so the `D_PROTO_LEN` and `D_PROTO_ARG` messages
//! match it word for word; the same check, with keys instead of arguments,
//! covers associative arrays and aggregation keys.

use super::Checker;
use crate::tir::{TExpr, TExprKind};
use crate::types::{TypeDef, TypeId};
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FnKind {
    /// A subroutine: usable in expressions.
    Subr,
    /// A tracing function (action): a statement of its own.
    Action,
    /// An aggregating function: only as `@name[keys] = f(args)`.
    Agg,
}

impl FnKind {
    /// The identifier kind as DTrace names it in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FnKind::Subr => "function",
            FnKind::Action => "tracing function",
            FnKind::Agg => "aggregating function",
        }
    }
}

pub(crate) struct FnDef {
    pub name: &'static str,
    pub kind: FnKind,
    pub proto: &'static str,
}

const fn def(name: &'static str, kind: FnKind, proto: &'static str) -> FnDef {
    FnDef { name, kind, proto }
}

use FnKind::{Action as A, Agg as G, Subr as S};

/// The functions D predefines (illumos `_dtrace_globals`).
const FUNCTIONS: &[FnDef] = &[
    def("alloca", S, "void *(size_t)"),
    def("avg", G, "void(@)"),
    def("basename", S, "string(const char *)"),
    def("bcopy", S, "void(void *, void *, size_t)"),
    def("breakpoint", A, "void()"),
    def("chill", A, "void(int)"),
    def("cleanpath", S, "string(const char *)"),
    def("clear", A, "void(...)"),
    def("commit", A, "void(int)"),
    def("copyin", S, "void *(uintptr_t, size_t)"),
    def("copyinstr", S, "string(uintptr_t, [size_t])"),
    def("copyinto", S, "void(uintptr_t, size_t, void *)"),
    def("copyout", S, "void(void *, uintptr_t, size_t)"),
    def("copyoutstr", S, "void(char *, uintptr_t, size_t)"),
    def("count", G, "void()"),
    def("ddi_pathname", S, "string(void *, int64_t)"),
    def("denormalize", A, "void(...)"),
    def("dirname", S, "string(const char *)"),
    def("discard", A, "void(int)"),
    def("exit", A, "void(int)"),
    def("freopen", A, "void(@, ...)"),
    def("ftruncate", A, "void()"),
    def("func", A, "_symaddr(uintptr_t)"),
    def("getf", S, "file_t *(int)"),
    def("getmajor", S, "genunix`major_t(genunix`dev_t)"),
    def("getminor", S, "genunix`minor_t(genunix`dev_t)"),
    def("htonl", S, "uint32_t(uint32_t)"),
    def("htonll", S, "uint64_t(uint64_t)"),
    def("htons", S, "uint16_t(uint16_t)"),
    def("index", S, "int(const char *, const char *, [int])"),
    def("inet_ntoa", S, "string(ipaddr_t *)"),
    def("inet_ntoa6", S, "string(in6_addr_t *)"),
    def("inet_ntop", S, "string(int, void *)"),
    def("json", S, "string(const char *, const char *)"),
    def("jstack", A, "stack(...)"),
    def(
        "llquantize",
        G,
        "void(@, int32_t, int32_t, int32_t, int32_t, ...)",
    ),
    def("lltostr", S, "string(int64_t, [int])"),
    def("lquantize", G, "void(@, int32_t, int32_t, ...)"),
    def("max", G, "void(@)"),
    def("min", G, "void(@)"),
    def("mod", A, "_symaddr(uintptr_t)"),
    def("msgdsize", S, "size_t(mblk_t *)"),
    def("msgsize", S, "size_t(mblk_t *)"),
    def("mutex_owned", S, "int(genunix`kmutex_t *)"),
    def("mutex_owner", S, "genunix`kthread_t *(genunix`kmutex_t *)"),
    def("mutex_type_adaptive", S, "int(genunix`kmutex_t *)"),
    def("mutex_type_spin", S, "int(genunix`kmutex_t *)"),
    def("normalize", A, "void(...)"),
    def("ntohl", S, "uint32_t(uint32_t)"),
    def("ntohll", S, "uint64_t(uint64_t)"),
    def("ntohs", S, "uint16_t(uint16_t)"),
    def("panic", A, "void()"),
    def("print", A, "void(@)"),
    def("printa", A, "void(@, ...)"),
    def("printf", A, "void(@, ...)"),
    def("progenyof", S, "int(pid_t)"),
    def("quantize", G, "void(@, ...)"),
    def("raise", A, "void(int)"),
    def("rand", S, "int()"),
    def("rindex", S, "int(const char *, const char *, [int])"),
    def("rw_iswriter", S, "int(genunix`krwlock_t *)"),
    def("rw_read_held", S, "int(genunix`krwlock_t *)"),
    def("rw_write_held", S, "int(genunix`krwlock_t *)"),
    def("setopt", A, "void(const char *, [const char *])"),
    def("speculate", A, "void(int)"),
    def("speculation", S, "int()"),
    def("stack", A, "stack(...)"),
    def("stddev", G, "void(@)"),
    def("stop", A, "void()"),
    def("strchr", S, "string(const char *, char)"),
    def("strjoin", S, "string(const char *, const char *)"),
    def("strlen", S, "size_t(const char *)"),
    def("strrchr", S, "string(const char *, char)"),
    def("strstr", S, "string(const char *, const char *)"),
    def("strtok", S, "string(const char *, const char *)"),
    def("strtoll", S, "int64_t(const char *, [int])"),
    def("substr", S, "string(const char *, int, [int])"),
    def("sum", G, "void(@)"),
    def("sym", A, "_symaddr(uintptr_t)"),
    def("system", A, "void(@, ...)"),
    def("tolower", S, "string(const char *)"),
    def("toupper", S, "string(const char *)"),
    def("trace", A, "void(@)"),
    def("tracemem", A, "void(@, size_t, ...)"),
    def("trunc", A, "void(...)"),
    def("uaddr", A, "_usymaddr(uintptr_t)"),
    def("ufunc", A, "_usymaddr(uintptr_t)"),
    def("umod", A, "_usymaddr(uintptr_t)"),
    def("usym", A, "_usymaddr(uintptr_t)"),
    def("ustack", A, "stack(...)"),
];

/// The built-in function named `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static FnDef> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// A parsed prototype: the return type's text and one entry per parameter.
pub(crate) struct Proto<'p> {
    pub ret: &'p str,
    pub params: Vec<&'p str>,
}

impl<'p> Proto<'p> {
    pub(crate) fn parse(proto: &'p str) -> Proto<'p> {
        let (ret, rest) = proto.split_once('(').unwrap_or((proto, ")"));
        let inner = rest.strip_suffix(')').unwrap_or(rest).trim();
        let params = if inner.is_empty() {
            Vec::new()
        } else {
            inner.split(',').map(str::trim).collect()
        };
        Proto {
            ret: ret.trim(),
            params,
        }
    }

    /// The index of `...`, after which anything goes.
    fn varargs(&self) -> Option<usize> {
        self.params.iter().position(|p| *p == "...")
    }

    /// The index of the first optional (`[type]`) parameter.
    fn optargs(&self) -> Option<usize> {
        self.params.iter().position(|p| p.starts_with('['))
    }
}

/// How a signature check words its messages: `strlen( ) argument #1`,
/// `a[ ] key #1`, `@a[ ] key #1`.
#[derive(Clone, Copy)]
pub(crate) struct SigNames<'a> {
    pub prefix: &'a str,
    pub name: &'a str,
    pub suffix: &'a str,
    /// `"arg"` for function arguments, `"key"` for array and aggregation keys.
    pub what: &'a str,
}

impl<'a> SigNames<'a> {
    pub(crate) fn function(name: &'a str) -> Self {
        SigNames {
            prefix: "",
            name,
            suffix: "( )",
            what: "arg",
        }
    }

    pub(crate) fn keys(prefix: &'a str, name: &'a str) -> Self {
        SigNames {
            prefix,
            name,
            suffix: "[ ]",
            what: "key",
        }
    }
}

impl Checker<'_> {
    /// Resolves a prototype's type text (`const char *`, `uintptr_t`,
    /// ``genunix`dev_t``). `None` for `@`, `...` and types this system does
    /// not have (kernel types of other systems), which accept anything.
    pub(crate) fn proto_type(&mut self, text: &str) -> Option<TypeId> {
        let text = text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim();
        if text == "@" || text == "..." {
            return None;
        }
        // A module scope names where illumos finds the type; here every
        // type lives in one space.
        let text = text.rsplit_once('`').map_or(text, |(_, t)| t);
        let stars = text.matches('*').count();
        let base_text = text.trim_end_matches(|c: char| c == '*' || c.is_whitespace());
        let (is_const, base_text) = match base_text.strip_prefix("const ") {
            Some(rest) => (true, rest.trim()),
            None => (false, base_text),
        };
        let mut t = self.parse_c_type(base_text)?;
        if is_const {
            t = self.types.add(TypeDef::Qualified {
                target: t,
                is_const: true,
                is_volatile: false,
            });
        }
        for _ in 0..stars {
            t = self.types.pointer_to(t, false);
        }
        Some(t)
    }

    /// Checks an argument (or key) list against a signature, as DTrace's
    /// `dt_idcook_sign`: first the count, then each argument before the
    /// optional or variable part against its parameter's type.
    pub(crate) fn check_signature(
        &mut self,
        names: SigNames<'_>,
        params: &[Option<TypeId>],
        varargs: Option<usize>,
        optargs: Option<usize>,
        args: &[TExpr],
        span: Span,
    ) -> Result<()> {
        let argc = args.len();
        let (mismatch, arglimit) = match (varargs, optargs) {
            (Some(v), _) => (argc < v, v),
            (None, Some(o)) => (argc < o || argc > params.len(), argc),
            (None, None) => (argc != params.len(), params.len()),
        };
        if mismatch {
            return Err(Diag::new(
                "D_PROTO_LEN",
                span,
                format!(
                    "{}{}{} prototype mismatch: {argc} {}{}passed, {}{} expected",
                    names.prefix,
                    names.name,
                    names.suffix,
                    names.what,
                    if argc == 1 { " " } else { "s " },
                    if optargs.is_some() { "at least " } else { "" },
                    optargs.unwrap_or(arglimit),
                ),
            ));
        }
        for (i, arg) in args.iter().enumerate().take(arglimit) {
            let Some(Some(param)) = params.get(i) else {
                continue;
            };
            if !self.arg_compatible(*param, arg) {
                let what = if names.what == "key" {
                    "key"
                } else {
                    "argument"
                };
                return Err(Diag::new(
                    "D_PROTO_ARG",
                    arg.span,
                    format!(
                        "{}{}{} {what} #{} is incompatible with prototype:\n\tprototype: {}\n\t{what:>9}: {}",
                        names.prefix,
                        names.name,
                        names.suffix,
                        i + 1,
                        self.types.name(*param),
                        self.types.name(arg.ty),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks a call of built-in function `def` and returns its return
    /// type (`None` when this system cannot name it).
    pub(crate) fn check_call(
        &mut self,
        def: &FnDef,
        args: &[TExpr],
        span: Span,
    ) -> Result<Option<TypeId>> {
        let proto = Proto::parse(def.proto);
        let params: Vec<Option<TypeId>> = proto.params.iter().map(|p| self.proto_type(p)).collect();
        self.check_signature(
            SigNames::function(def.name),
            &params,
            proto.varargs(),
            proto.optargs(),
            args,
            span,
        )?;
        Ok(self.proto_type(proto.ret))
    }

    /// Whether `arg` may be passed where `param` is expected, or stored
    /// where a `param` is (DTrace's `dt_node_is_argcompat`): any two
    /// integers, any two string-like types, compatible structs, or
    /// compatible pointers (a literal 0 is every pointer).
    pub(crate) fn arg_compatible(&self, param: TypeId, arg: &TExpr) -> bool {
        let t = &self.types;
        if t.is_integer(param) && t.is_integer(arg.ty) {
            return true;
        }
        if self.is_strcompat(param) && self.is_strcompat(arg.ty) {
            return true;
        }
        if matches!(t.kind(param), TypeDef::Struct(_) | TypeDef::Function { .. }) {
            return t.compatible(param, arg.ty);
        }
        self.ptr_compatible(param, false, arg.ty, is_zero(arg))
            .is_some()
    }

    /// A string, or a pointer to or array of `char`.
    pub(crate) fn is_strcompat(&self, ty: TypeId) -> bool {
        self.types.is_string(ty) || self.types.is_char_string_like(ty)
    }

    /// DTrace's `dt_node_is_ptrcompat`: two pointers (or arrays, strings
    /// counting as arrays of `char`) to compatible types or where either
    /// points to `void`, or a pointer and a literal zero. Returns the more
    /// specific of the two types.
    pub(crate) fn ptr_compatible(
        &self,
        l: TypeId,
        l_zero: bool,
        r: TypeId,
        r_zero: bool,
    ) -> Option<TypeId> {
        let t = &self.types;
        if t.is_dynamic(l) || t.is_dynamic(r) {
            return None;
        }
        let (li, ri) = (t.is_integer(l), t.is_integer(r));
        if (li && (ri || !l_zero)) || (ri && !r_zero) {
            return None;
        }
        if !li && !ri && t.is_userland_pointer(l) != t.is_userland_pointer(r) {
            return None;
        }
        let referent = |ty: TypeId| -> Option<TypeId> {
            if t.is_string(ty) {
                Some(t.builtins.char)
            } else if t.is_pointer(ty) || t.is_array(ty) {
                t.referent(ty)
            } else {
                None
            }
        };
        let (l, r) = if li {
            (r, r)
        } else if ri {
            (l, l)
        } else {
            (l, r)
        };
        let (lref, rref) = (referent(l)?, referent(r)?);
        let (lvoid, rvoid) = (t.is_void(lref), t.is_void(rref));
        if lvoid || rvoid || t.compatible(lref, rref) {
            Some(if rvoid { l } else { r })
        } else {
            None
        }
    }
}

/// An integer constant zero: compatible with every pointer.
pub(crate) fn is_zero(e: &TExpr) -> bool {
    matches!(e.kind, TExprKind::Int(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prototypes_parse() {
        let p = Proto::parse("string(uintptr_t, [size_t])");
        assert_eq!(p.ret, "string");
        assert_eq!(p.params, vec!["uintptr_t", "[size_t]"]);
        assert_eq!(p.optargs(), Some(1));
        assert_eq!(p.varargs(), None);
        let p = Proto::parse("void(@, int32_t, int32_t, ...)");
        assert_eq!(p.varargs(), Some(3));
        let p = Proto::parse("void()");
        assert!(p.params.is_empty());
    }

    #[test]
    fn every_function_has_a_well_formed_prototype() {
        for f in FUNCTIONS {
            let p = Proto::parse(f.proto);
            assert!(!p.ret.is_empty(), "{}", f.name);
            if let Some(v) = p.varargs() {
                assert_eq!(v + 1, p.params.len(), "{}: ... must be last", f.name);
            }
            if let Some(o) = p.optargs() {
                assert!(
                    p.params[o..].iter().all(|q| q.starts_with('[')),
                    "{}: optional arguments must be last",
                    f.name
                );
            }
        }
        assert_eq!(lookup("count").map(|f| f.kind), Some(FnKind::Agg));
        assert_eq!(lookup("trace").map(|f| f.kind), Some(FnKind::Action));
        assert_eq!(lookup("strlen").map(|f| f.kind), Some(FnKind::Subr));
        assert!(lookup("nosuch").is_none());
    }
}
