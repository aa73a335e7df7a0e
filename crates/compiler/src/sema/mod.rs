//! The checker: AST → typed program.
//!
//! D resolves names in program order, like the illumos compiler: a variable
//! comes into existence at its first assignment (or declaration) and takes
//! the type of what was assigned; a later reference in source order sees it,
//! an earlier one is an error. Clauses are checked one after another with the
//! probe context of the clause's first matched probe, which types `args[]`.
//!
//! The checker never emits code. It produces a [`Checked`] program in which
//! every expression is typed ([`crate::tir`]), every action is separated
//! from expressions, and every error carries DTrace's tag and message.

mod actions;
mod decl;
mod expr;
mod printf;

use crate::btf::LazyBtf;
use crate::probes::ProbeInfo;
use crate::tir::*;
use crate::types::{TagKind, TypeId, TypeTable};
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;
use std::collections::HashMap;

/// Compile-time settings that change what programs mean.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `-x strsize`: bytes in a `string`.
    pub strsize: u64,
    /// `-w` / `-x destructive`: destructive actions allowed.
    pub destructive: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            strsize: 256,
            destructive: false,
        }
    }
}

/// The checked program.
#[derive(Debug, Clone)]
pub struct Checked {
    pub types: TypeTable,
    pub vars: Vec<VarInfo>,
    pub aggs: Vec<AggInfo>,
    /// printf/printa/system format strings, by index.
    pub formats: Vec<Vec<u8>>,
    pub clauses: Vec<TClause>,
    pub strsize: u64,
    /// Whether the program uses destructive actions; such a program
    /// compiles, but enabling it requires `-w` (as in DTrace, where the
    /// check is made when tracing starts).
    pub destructive: bool,
}

#[derive(Debug, Clone)]
struct Inline {
    ty: TypeId,
    value: Expr,
    /// Set while the inline's value is being checked, to catch recursion.
    expanding: bool,
}

pub struct Checker<'a> {
    pub(crate) uses_destructive: bool,
    pub(crate) types: TypeTable,
    pub(crate) strsize: u64,
    opts: &'a CheckOptions,
    pub(crate) btf: &'a LazyBtf,
    pub(crate) globals: HashMap<String, VarId>,
    selfs: HashMap<String, VarId>,
    thises: HashMap<String, VarId>,
    pub(crate) vars: Vec<VarInfo>,
    pub(crate) enumerators: HashMap<String, (i64, TypeId)>,
    inlines: HashMap<String, Inline>,
    aggs: HashMap<String, AggId>,
    agg_infos: Vec<AggInfo>,
    formats: Vec<Vec<u8>>,
    /// Kernel types already imported from BTF, by BTF type id.
    pub(crate) btf_imported: HashMap<u32, TypeId>,
    /// The probe whose context types the clause being checked.
    probe: Option<&'a ProbeInfo>,
    /// Typed argument types of `probe`, resolved lazily.
    arg_types: Vec<Option<TypeId>>,
    in_predicate: bool,
}

/// Checks `program`. `clause_probes[i]` lists the ids of the probes the
/// i-th clause (in program order) enables; `probe_info` describes them.
pub fn check<'a>(
    program: &Program,
    clause_probes: &[Vec<u32>],
    probe_info: &'a dyn Fn(u32) -> Option<&'a ProbeInfo>,
    btf: &'a LazyBtf,
    opts: &'a CheckOptions,
) -> Result<Checked> {
    let mut c = Checker {
        uses_destructive: false,
        types: TypeTable::new(),
        strsize: opts.strsize,
        opts,
        btf,
        globals: HashMap::new(),
        selfs: HashMap::new(),
        thises: HashMap::new(),
        vars: Vec::new(),
        enumerators: HashMap::new(),
        inlines: HashMap::new(),
        aggs: HashMap::new(),
        agg_infos: Vec::new(),
        formats: Vec::new(),
        btf_imported: HashMap::new(),
        probe: None,
        arg_types: Vec::new(),
        in_predicate: false,
    };
    let mut clauses = Vec::new();
    let mut ci = 0usize;
    for item in &program.items {
        match item {
            Item::Decl(d) => c.declaration(d)?,
            Item::Inline(i) => c.inline(i)?,
            Item::Clause(cl) => {
                let probes = clause_probes.get(ci).cloned().unwrap_or_default();
                c.probe = probes.first().and_then(|&id| probe_info(id));
                c.arg_types = vec![None; c.probe.map_or(0, |p| p.args.len())];
                let tc = c.clause(cl, ci, probes)?;
                clauses.push(tc);
                ci += 1;
            }
            // Translators are bound when `xlate` uses them; providers only
            // matter to header and object generation; pragmas are read by
            // the driver before compilation.
            Item::Translator(_) | Item::Provider(_) | Item::Pragma(_) => {}
        }
    }
    Ok(Checked {
        types: c.types,
        vars: c.vars,
        aggs: c.agg_infos,
        formats: c.formats,
        clauses,
        strsize: c.strsize,
        destructive: c.uses_destructive,
    })
}

impl<'a> Checker<'a> {
    // -- program-level items -------------------------------------------------

    fn declaration(&mut self, d: &Declaration) -> Result<()> {
        let base = self.base_type(&d.specs)?;
        if d.specs.storage == Some(Storage::Typedef) {
            for id in &d.declarators {
                let (ty, name) = self.derive(base, &id.declarator)?;
                if let Some(name) = name {
                    self.types.add_typedef(&name, ty);
                }
            }
            return Ok(());
        }
        for id in &d.declarators {
            let (ty, name) = self.derive(base, &id.declarator)?;
            let Some(name) = name else { continue };
            if let Some(init) = &id.init {
                return Err(Diag::new(
                    "D_DECL_INIT",
                    init.span,
                    format!("initializers are not permitted in declarations of {name}"),
                ));
            }
            if let TypedefOrFn::Function = self.fn_or_value(ty) {
                // Function prototypes declare nothing usable in D.
                continue;
            }
            let keys = match id.declarator.derived.last() {
                Some(Derived::Array(ArrayDim::Keys(params))) => {
                    let mut ks = Vec::new();
                    for p in params {
                        ks.push(self.type_name(&p.ty)?);
                    }
                    Some(ks)
                }
                _ => None,
            };
            let scope = match (d.specs.storage, &keys) {
                (Some(Storage::SelfVar), _) => VarScope::Thread,
                (Some(Storage::ThisVar), _) => VarScope::Clause,
                (_, Some(_)) => VarScope::Assoc,
                _ => VarScope::Global,
            };
            let table = match scope {
                VarScope::Thread => &self.selfs,
                VarScope::Clause => &self.thises,
                _ => &self.globals,
            };
            if let Some(&existing) = table.get(&name) {
                let v = &self.vars[existing.0 as usize];
                if v.ty != ty || v.keys != keys.clone().unwrap_or_default() {
                    return Err(Diag::new(
                        "D_DECL_IDRED",
                        id.declarator.name_span,
                        format!("identifier redeclared: {name}"),
                    ));
                }
                continue;
            }
            if scope == VarScope::Global && self.builtin(&name).is_some() {
                return Err(Diag::new(
                    "D_DECL_IDRED",
                    id.declarator.name_span,
                    format!("identifier redeclared: {name}"),
                ));
            }
            self.new_var(&name, scope, ty, keys.unwrap_or_default());
        }
        Ok(())
    }

    fn fn_or_value(&self, ty: TypeId) -> TypedefOrFn {
        if matches!(self.types.def(ty), crate::types::TypeDef::Function { .. }) {
            TypedefOrFn::Function
        } else {
            TypedefOrFn::Value
        }
    }

    fn inline(&mut self, i: &InlineDef) -> Result<()> {
        let base = self.base_type(&i.specs)?;
        let (ty, name) = self.derive(base, &i.declarator)?;
        let Some(name) = name else {
            return Err(Diag::new("D_SYNTAX", i.span, "inline definition requires a name"));
        };
        if self.inlines.contains_key(&name) || self.globals.contains_key(&name) {
            return Err(Diag::new(
                "D_DECL_IDRED",
                i.declarator.name_span,
                format!("identifier redeclared: {name}"),
            ));
        }
        // Check the value once now so errors point at the definition.
        let v = self.expr(&i.value)?;
        self.check_assignable(ty, &v, i.value.span, "=")?;
        self.inlines.insert(
            name,
            Inline {
                ty,
                value: i.value.clone(),
                expanding: false,
            },
        );
        Ok(())
    }

    pub(crate) fn new_var(&mut self, name: &str, scope: VarScope, ty: TypeId, keys: Vec<TypeId>) -> VarId {
        let id = VarId(self.vars.len() as u32);
        self.vars.push(VarInfo {
            name: name.to_string(),
            scope,
            ty,
            keys,
        });
        match scope {
            VarScope::Thread => self.selfs.insert(name.to_string(), id),
            VarScope::Clause => self.thises.insert(name.to_string(), id),
            _ => self.globals.insert(name.to_string(), id),
        };
        id
    }

    // -- clauses ---------------------------------------------------------------

    /// Checks a clause as DTrace cooks it: actions first, then the
    /// predicate; if the actions use a variable only the predicate creates
    /// (`/x++/ { trace(x); }`), the predicate goes first instead.
    fn clause(&mut self, cl: &Clause, index: usize, probes: Vec<u32>) -> Result<TClause> {
        let (predicate, body) = match self.clause_body(cl) {
            Ok(body) => (self.clause_predicate(cl)?, body),
            Err(d) if cl.predicate.is_some() && matches!(d.tag, "D_IDENT_UNDEF" | "D_VAR_UNDEF") => {
                let p = self.clause_predicate(cl)?;
                (p, self.clause_body(cl)?)
            }
            Err(d) => return Err(d),
        };
        Ok(TClause {
            index,
            probes,
            predicate,
            body,
            span: cl.span,
        })
    }

    fn clause_body(&mut self, cl: &Clause) -> Result<Vec<TStmt>> {
        let saved = self.thises.clone();
        let r = match &cl.body {
            None => Ok(vec![default_action(cl.span)]),
            Some(stmts) if stmts.is_empty() => Ok(vec![default_action(cl.span)]),
            Some(stmts) => self.stmts(stmts),
        };
        if r.is_err() {
            self.thises = saved;
        }
        r.map_err(|d| in_region(d, "action list"))
    }

    fn clause_predicate(&mut self, cl: &Clause) -> Result<Option<TExpr>> {
        let Some(p) = &cl.predicate else { return Ok(None) };
        self.in_predicate = true;
        let e = self.expr(p);
        self.in_predicate = false;
        let e = self.rvalue(e.map_err(|d| in_region(d, "predicate"))?)?;
        if !self.types.is_scalar(e.ty) && !self.types.is_string(e.ty) {
            return Err(in_region(
                Diag::new("D_PRED_SCALAR", p.span, "predicate result must be of scalar type"),
                "predicate",
            ));
        }
        Ok(Some(e))
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Result<Vec<TStmt>> {
        let mut out = Vec::new();
        for s in stmts {
            match &s.kind {
                StmtKind::Empty => {}
                StmtKind::Expr(e) => out.push(self.statement_expr(e)?),
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let c = self.expr(cond)?;
                    let c = self.rvalue(c)?;
                    if !self.types.is_scalar(c.ty) && !self.types.is_string(c.ty) {
                        return Err(Diag::new(
                            "D_COND_SCALAR",
                            cond.span,
                            "if-statement condition must be of scalar type",
                        ));
                    }
                    let then = self.stmts(then)?;
                    let otherwise = match otherwise {
                        Some(o) => self.stmts(o)?,
                        None => Vec::new(),
                    };
                    out.push(TStmt::If {
                        cond: c,
                        then,
                        otherwise,
                    });
                }
            }
        }
        Ok(out)
    }

    /// A statement's expression: actions and aggregations are only valid
    /// here, at the top of a statement.
    fn statement_expr(&mut self, e: &Expr) -> Result<TStmt> {
        match &e.kind {
            ExprKind::Call {
                name,
                name_span,
                args,
            } if actions::is_action(name) => {
                Ok(TStmt::Action(self.action(name, *name_span, args, e.span)?))
            }
            ExprKind::Assign { op: None, lhs, rhs } if is_agg_ref(lhs) => {
                Ok(TStmt::Action(self.aggregation(lhs, rhs, e.span)?))
            }
            _ => {
                let t = self.expr(e)?;
                Ok(TStmt::Expr(t))
            }
        }
    }

    // -- variables ---------------------------------------------------------------

    pub(crate) fn lookup_var(&self, scope: VarScope, name: &str) -> Option<VarId> {
        match scope {
            VarScope::Thread => self.selfs.get(name).copied(),
            VarScope::Clause => self.thises.get(name).copied(),
            _ => self.globals.get(name).copied(),
        }
    }

    pub(crate) fn var(&self, id: VarId) -> &VarInfo {
        &self.vars[id.0 as usize]
    }

    pub(crate) fn intern_format(&mut self, f: &[u8]) -> usize {
        if let Some(i) = self.formats.iter().position(|x| x == f) {
            return i;
        }
        self.formats.push(f.to_vec());
        self.formats.len() - 1
    }

    /// An inline's value, checked in the current context.
    pub(crate) fn expand_inline(&mut self, name: &str, span: Span) -> Result<Option<TExpr>> {
        let Some(inl) = self.inlines.get_mut(name) else {
            return Ok(None);
        };
        if inl.expanding {
            return Err(Diag::new(
                "D_IDENT_BADREF",
                span,
                format!("inline {name} definition refers to itself"),
            ));
        }
        inl.expanding = true;
        let (ty, value) = (inl.ty, inl.value.clone());
        let r = self.expr(&value);
        if let Some(i) = self.inlines.get_mut(name) {
            i.expanding = false;
        }
        let v = self.rvalue(r?)?;
        Ok(Some(self.convert(v, ty)))
    }

    pub(crate) fn btf_typedef(&mut self, name: &str) -> Option<TypeId> {
        let btf = self.btf.get()?;
        let id = btf.find_named(crate::btf::Kind::Typedef, name)?;
        Some(self.import_btf(id))
    }

    pub(crate) fn btf_tag(&mut self, kind: TagKind, name: &str) -> Option<TypeId> {
        let btf = self.btf.get()?;
        let k = match kind {
            TagKind::Struct => crate::btf::Kind::Struct,
            TagKind::Union => crate::btf::Kind::Union,
            TagKind::Enum => crate::btf::Kind::Enum,
        };
        let id = btf.find_named(k, name)?;
        Some(self.import_btf(id))
    }

    pub(crate) fn import_btf(&mut self, id: u32) -> TypeId {
        crate::btf::import::import(self, id)
    }

    /// The type of the current probe's `args[n]`.
    pub(crate) fn arg_type(&mut self, n: usize, span: Span) -> Result<TypeId> {
        let Some(probe) = self.probe else {
            return Err(Diag::new(
                "D_ARGS_IDX",
                span,
                format!("index {n} is out of range for probe's args[ ]"),
            ));
        };
        if n >= probe.args.len() {
            return Err(Diag::new(
                "D_ARGS_IDX",
                span,
                format!(
                    "index {n} is out of range for {}:{}:{}:{} args[ ]",
                    probe.provider, probe.module, probe.function, probe.name
                ),
            ));
        }
        if let Some(t) = self.arg_types[n] {
            return Ok(t);
        }
        let text = probe.args[n].clone();
        let t = self.parse_c_type(&text).unwrap_or(self.types.builtins.int64);
        self.arg_types[n] = Some(t);
        Ok(t)
    }

    /// Resolves a C type name written as text (from tracefs formats and
    /// provider descriptions): `const char *`, `unsigned int`, `size_t`,
    /// `struct file *`.
    pub(crate) fn parse_c_type(&mut self, text: &str) -> Option<TypeId> {
        let stars = text.matches('*').count();
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '*')
            .filter(|w| !w.is_empty() && !matches!(*w, "const" | "volatile" | "__user" | "restrict"))
            .collect();
        let b = self.types.builtins;
        let base = match words.as_slice() {
            ["struct", tag] => self
                .types
                .tag(TagKind::Struct, tag)
                .or_else(|| self.btf_tag(TagKind::Struct, tag))
                .unwrap_or(b.void),
            ["union", tag] => self
                .types
                .tag(TagKind::Union, tag)
                .or_else(|| self.btf_tag(TagKind::Union, tag))
                .unwrap_or(b.void),
            ["enum", _] => b.int,
            [single] if !is_c_keyword(single) => self.lookup_typedef(None, single)?,
            kws => {
                let mut list = Vec::new();
                for w in kws {
                    list.push(match *w {
                        "void" => TypeKeyword::Void,
                        "char" => TypeKeyword::Char,
                        "short" => TypeKeyword::Short,
                        "int" => TypeKeyword::Int,
                        "long" => TypeKeyword::Long,
                        "signed" => TypeKeyword::Signed,
                        "unsigned" => TypeKeyword::Unsigned,
                        "float" => TypeKeyword::Float,
                        "double" => TypeKeyword::Double,
                        "_Bool" | "bool" => TypeKeyword::Bool,
                        _ => return None,
                    });
                }
                let specs = DeclSpecs {
                    storage: None,
                    is_const: false,
                    is_volatile: false,
                    is_restrict: false,
                    is_userland: false,
                    base: BaseType::Keywords(list),
                    span: Span::default(),
                };
                self.base_type(&specs).ok()?
            }
        };
        let mut t = base;
        for _ in 0..stars {
            t = self.types.pointer_to(t, false);
        }
        Some(t)
    }

    pub(crate) fn note_destructive(&mut self) {
        self.uses_destructive = true;
    }
}

enum TypedefOrFn {
    Function,
    Value,
}

fn is_c_keyword(w: &str) -> bool {
    matches!(
        w,
        "void" | "char" | "short" | "int" | "long" | "signed" | "unsigned" | "float" | "double"
    )
}

fn default_action(span: Span) -> TStmt {
    TStmt::Action(Action {
        kind: ActionKind::Default,
        span,
    })
}

fn is_agg_ref(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Agg(_) => true,
        ExprKind::Index { base, .. } => matches!(base.kind, ExprKind::Agg(_)),
        _ => false,
    }
}

/// Marks an error raised while type-checking a clause part with that part,
/// except the errors DTrace raises outside that phase (format and
/// aggregating-function argument checks, made when the actions are
/// compiled), which carry no region.
fn in_region(mut d: Diag, region: &'static str) -> Diag {
    const OUTSIDE: &[&str] = &[
        "D_PRINTF_", "D_PRINTA_", "D_LQUANT_", "D_LLQUANT_", "D_AGG_NULL", "D_TRACE_VOID", "D_TRACE_AGG",
        "D_STACK_", "D_USTACK_", "D_TRACEMEM_", "D_SYNTAX", "D_INT_OFLOW",
    ];
    if d.region.is_none() && !OUTSIDE.iter().any(|p| d.tag.starts_with(p)) {
        d.region = Some(region);
    }
    d
}
