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
//!
//! The order of the checks follows DTrace's passes, because it decides which
//! error a program with several gets: first the whole program is "parsed"
//! (declarations and inlines take effect, and the parse-time checks of
//! [`parse_checks`] run over every clause), then each clause is "cooked"
//! (type-checked), actions before the predicate. Errors DTrace finds only
//! when it compiles a cooked clause's actions (format strings, aggregating
//! function parameters, expressions that cannot be code) are made while
//! cooking here, but keep DTrace's rule that they carry no
//! `in action list:` region.

mod actions;
mod decl;
mod expr;
mod parse_checks;
mod printf;
mod protos;

/// Whether `name` is one of D's built-in functions or actions. Such a name
/// is never a type, so the front end need not ask the kernel's types.
pub fn is_builtin_function(name: &str) -> bool {
    protos::lookup(name).is_some()
}

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
    pub(crate) line_of: &'a dyn Fn(Span) -> u32,
    pub(crate) uses_destructive: bool,
    pub(crate) types: TypeTable,
    pub(crate) strsize: u64,
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
    /// The clause's probe description as `dtrace_desc2str` prints it
    /// (`:::BEGIN`), for `args[ ]` messages.
    pdesc: String,
    /// Code generation errors of the statement being checked: actions and
    /// aggregating functions used as values type-check (as `void` or as
    /// dynamic values) but cannot become code (`D_CG_EXPR`).
    pub(crate) pending_cg: Vec<Diag>,
    /// Variables the assignment being checked is creating: until its value
    /// is checked they exist but have no type, and reading one is
    /// `D_VAR_UNDEF` (`x = x + 1` for a new `x`).
    pub(crate) creating: Vec<(VarScope, String)>,
    /// The line each aggregation was first assigned on, for `D_AGG_REDEF`.
    pub(crate) agg_lines: HashMap<String, Span>,
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
    check_with_lines(program, clause_probes, probe_info, btf, opts, &|_| 0)
}

/// [`check`], with `line_of` giving the source line of a position: a few
/// messages name a line other than the one the error is reported on
/// (`D_AGG_REDEF` names the line of the previous definition).
pub fn check_with_lines<'a>(
    program: &Program,
    clause_probes: &[Vec<u32>],
    probe_info: &'a dyn Fn(u32) -> Option<&'a ProbeInfo>,
    btf: &'a LazyBtf,
    opts: &'a CheckOptions,
    line_of: &'a dyn Fn(Span) -> u32,
) -> Result<Checked> {
    let mut c = Checker {
        line_of,
        uses_destructive: false,
        types: TypeTable::new(),
        strsize: opts.strsize,
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
        pdesc: String::new(),
        pending_cg: Vec::new(),
        creating: Vec::new(),
        agg_lines: HashMap::new(),
    };
    // The parse: declarations in order, and the checks DTrace's parser
    // makes on clauses.
    for item in &program.items {
        match item {
            Item::Decl(d) => c.declaration(d)?,
            Item::Inline(i) => c.inline(i)?,
            Item::Clause(cl) => c.parse_checks(cl)?,
            // Translators are bound when `xlate` uses them; providers only
            // matter to header and object generation; pragmas are read by
            // the driver before compilation.
            Item::Translator(_) | Item::Provider(_) | Item::Pragma(_) => {}
        }
    }
    // The cook: each clause in the context of its first probe.
    let mut clauses = Vec::new();
    let clause_items = program.items.iter().filter_map(|item| match item {
        Item::Clause(cl) => Some(cl),
        _ => None,
    });
    for (ci, cl) in clause_items.enumerate() {
        let probes = clause_probes.get(ci).cloned().unwrap_or_default();
        c.probe = probes.first().and_then(|&id| probe_info(id));
        c.arg_types = vec![None; c.probe.map_or(0, |p| p.args.len())];
        c.pdesc = cl
            .probes
            .first()
            .map(|p| format!("{}:{}:{}:{}", p.provider, p.module, p.function, p.name))
            .unwrap_or_default();
        let tc = c.clause(cl, ci, probes)?;
        clauses.push(tc);
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
        if matches!(
            d.specs.storage,
            Some(Storage::Auto | Storage::Register | Storage::Static)
        ) {
            return Err(Diag::new(
                "D_DECL_BADCLASS",
                d.span,
                "specified storage class not appropriate in D",
            ));
        }
        let base = self.base_type(&d.specs)?;
        if d.declarators.is_empty() {
            if matches!(
                d.specs.base,
                BaseType::Struct { .. } | BaseType::Enum { .. }
            ) {
                return Ok(());
            }
            return Err(Diag::new("D_DECL_USELESS", d.span, "useless declaration"));
        }
        if d.specs.storage == Some(Storage::Typedef) {
            for id in &d.declarators {
                let (ty, name) = self.derive(base, &id.declarator)?;
                if let Some(name) = name {
                    let span = id.declarator.name_span;
                    if self.globals.contains_key(&name) || self.builtin(&name).is_some() {
                        return Err(Diag::new(
                            "D_DECL_IDRED",
                            span,
                            format!("global variable identifier redeclared: {name}"),
                        ));
                    }
                    if self.types.typedef(&name).is_some() {
                        return Err(Diag::new(
                            "D_DECL_IDRED",
                            span,
                            format!("typedef redeclared: {name}"),
                        ));
                    }
                    self.types.add_typedef(&name, ty);
                }
            }
            return Ok(());
        }
        for id in &d.declarators {
            if let Some(init) = &id.init {
                // D has no initializers: the grammar stops at the `=`.
                return Err(Diag::new("D_SYNTAX", init.span, "syntax error near \"=\""));
            }
            let (ty, name) = self.derive(base, &id.declarator)?;
            let Some(name) = name else { continue };
            let span = id.declarator.name_span;
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
                Some(Derived::Array(ArrayDim::Unsized)) => {
                    return Err(Diag::new(
                        "D_DECL_ARRNULL",
                        span,
                        format!(
                            "array declaration requires array dimension or tuple signature: {name}"
                        ),
                    ));
                }
                _ => None,
            };
            let scope = match (d.specs.storage, &keys) {
                (Some(Storage::SelfVar), _) => VarScope::Thread,
                (Some(Storage::ThisVar), _) => VarScope::Clause,
                (_, Some(_)) => VarScope::Assoc,
                _ => VarScope::Global,
            };
            if matches!(scope, VarScope::Global | VarScope::Assoc) && self.builtin(&name).is_some()
            {
                return Err(Diag::new(
                    "D_DECL_IDRED",
                    span,
                    format!("built-in identifier redeclared: {name}"),
                ));
            }
            if self.types.typedef(&name).is_some() {
                return Err(Diag::new(
                    "D_DECL_IDRED",
                    span,
                    format!("typedef identifier redeclared: {name}"),
                ));
            }
            if keys.is_some() && d.specs.storage == Some(Storage::ThisVar) {
                return Err(Diag::new(
                    "D_DECL_LOCASSC",
                    span,
                    format!("associative arrays may not be declared as local variables: {name}"),
                ));
            }
            let table = match scope {
                VarScope::Thread => &self.selfs,
                VarScope::Clause => &self.thises,
                _ => &self.globals,
            };
            if let Some(&existing) = table.get(&name) {
                self.check_redeclaration(&name, existing, ty, keys.as_deref(), span)?;
                continue;
            }
            if self.types.is_void(ty) {
                return Err(Diag::new(
                    "D_DECL_VOIDOBJ",
                    span,
                    format!("cannot have void object: {name}"),
                ));
            }
            if self.types.is_struct(ty) && self.types.size_of(ty, self.strsize) == 0 {
                return Err(Diag::new(
                    "D_DECL_INCOMPLETE",
                    span,
                    format!(
                        "incomplete struct/union/enum {}: {name}",
                        self.types.name(ty)
                    ),
                ));
            }
            self.new_var(&name, scope, ty, keys.unwrap_or_default());
        }
        Ok(())
    }

    /// A second declaration of a variable must say the same thing.
    fn check_redeclaration(
        &self,
        name: &str,
        existing: VarId,
        ty: TypeId,
        keys: Option<&[TypeId]>,
        span: Span,
    ) -> Result<()> {
        let v = self.var(existing);
        let kind = |assoc: bool| if assoc { "associative array" } else { "scalar" };
        let (was_assoc, is_assoc) = (v.scope == VarScope::Assoc, keys.is_some());
        if was_assoc != is_assoc || !self.types.compatible(v.ty, ty) {
            return Err(Diag::new(
                "D_DECL_IDRED",
                span,
                format!(
                    "identifier redeclared: {name}\n\t current: {} {}\n\tprevious: {} {}",
                    kind(is_assoc),
                    self.types.name(ty),
                    kind(was_assoc),
                    self.types.name(v.ty)
                ),
            ));
        }
        let Some(keys) = keys else { return Ok(()) };
        for (i, (k, old)) in keys.iter().zip(&v.keys).enumerate() {
            if !self.types.compatible(*k, *old) {
                return Err(Diag::new(
                    "D_DECL_IDRED",
                    span,
                    format!(
                        "identifier redeclared: {name}\n\t current: associative array, key #{n} of type {}\n\tprevious: associative array, key #{n} of type {}",
                        self.types.name(*k),
                        self.types.name(*old),
                        n = i + 1
                    ),
                ));
            }
        }
        if keys.len() != v.keys.len() {
            return Err(Diag::new(
                "D_DECL_IDRED",
                span,
                format!(
                    "identifier redeclared: {name}\n\t current: associative array of {}, tuple length {}\n\tprevious: associative array of {}, tuple length {}",
                    self.types.name(ty),
                    keys.len(),
                    self.types.name(v.ty),
                    v.keys.len()
                ),
            ));
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
        if i.specs.storage.is_some() {
            return Err(Diag::new(
                "D_DECL_BADCLASS",
                i.span,
                "specified storage class not appropriate for inline declaration",
            ));
        }
        let base = self.base_type(&i.specs)?;
        let (ty, name) = self.derive(base, &i.declarator)?;
        let Some(name) = name else {
            return Err(Diag::new(
                "D_DECL_USELESS",
                i.span,
                "inline declaration requires a name",
            ));
        };
        let span = i.declarator.name_span;
        let previous = if self.inlines.contains_key(&name) {
            Some("scalar inline")
        } else if let Some(&id) = self.globals.get(&name) {
            Some(if self.var(id).scope == VarScope::Assoc {
                "associative array "
            } else {
                "scalar "
            })
        } else if self.builtin(&name).is_some() {
            Some("scalar ")
        } else {
            None
        };
        if let Some(previous) = previous {
            return Err(Diag::new(
                "D_DECL_IDRED",
                span,
                format!(
                    "identifier redefined: {name}\n\t current: inline definition\n\tprevious: {previous}"
                ),
            ));
        }
        if self.types.is_void(ty) {
            return Err(Diag::new(
                "D_DECL_VOIDOBJ",
                span,
                format!("cannot declare void inline: {name}"),
            ));
        }
        // Check the value once now so errors point at the definition.
        let v = self.expr(&i.value)?;
        let v = self.rvalue(v)?;
        if !self.arg_compatible(ty, &v) {
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                i.span,
                format!(
                    "inline {name} definition uses incompatible types: \"{}\" = \"{}\"",
                    self.types.name(ty),
                    self.types.name(v.ty)
                ),
            ));
        }
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

    pub(crate) fn new_var(
        &mut self,
        name: &str,
        scope: VarScope,
        ty: TypeId,
        keys: Vec<TypeId>,
    ) -> VarId {
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
            Err(d)
                if cl.predicate.is_some() && matches!(d.tag, "D_IDENT_UNDEF" | "D_VAR_UNDEF") =>
            {
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
        let Some(p) = &cl.predicate else {
            return Ok(None);
        };
        self.pending_cg.clear();
        let e = self.expr(p);
        let e = self.rvalue(e.map_err(|d| in_region(d, "predicate"))?)?;
        // Strings are not scalars: `/execname/` is not a test.
        if !self.types.is_scalar(e.ty) {
            return Err(in_region(
                Diag::new(
                    "D_PRED_SCALAR",
                    p.span,
                    "predicate result must be of scalar type",
                ),
                "predicate",
            ));
        }
        self.take_pending_cg()?;
        Ok(Some(e))
    }

    /// Fails with the first code generation error recorded since the last
    /// call (see [`Checker::pending_cg`]).
    fn take_pending_cg(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending_cg);
        match pending.into_iter().next() {
            Some(d) => Err(d),
            None => Ok(()),
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Result<Vec<TStmt>> {
        let mut out = Vec::new();
        for s in stmts {
            match &s.kind {
                StmtKind::Empty => {}
                StmtKind::Expr(e) => {
                    self.pending_cg.clear();
                    let st = self.statement_expr(e)?;
                    self.take_pending_cg()?;
                    out.push(st);
                }
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.pending_cg.clear();
                    let c = self.expr(cond)?;
                    let c = self.rvalue(c)?;
                    if !self.types.is_scalar(c.ty) && !self.types.is_string(c.ty) {
                        return Err(Diag::new(
                            "D_OP_SCALAR",
                            cond.span,
                            "if-statement condition must be of scalar type",
                        ));
                    }
                    self.take_pending_cg()?;
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
            // `@a;` and `@a[k];`: an aggregation with nothing to aggregate.
            _ if is_agg_ref(e) => Err(self.agg_statement(e)),
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
    pub(crate) fn arg_type(&mut self, n: i64, span: Span) -> Result<TypeId> {
        let Some(probe) = self.probe else {
            return Err(Diag::new(
                "D_ARGS_MULTI",
                span,
                format!(
                    "args[ ] may not be referenced because probe description {} matches an unstable set of probes",
                    self.pdesc
                ),
            ));
        };
        let Some(index) = usize::try_from(n).ok().filter(|&i| i < probe.args.len()) else {
            return Err(Diag::new(
                "D_ARGS_IDX",
                span,
                format!("index {n} is out of range for {} args[ ]", self.pdesc),
            ));
        };
        if let Some(t) = self.arg_types[index] {
            return Ok(t);
        }
        let text = probe.args[index].clone();
        let t = self
            .parse_c_type(&text)
            .unwrap_or(self.types.builtins.int64);
        self.arg_types[index] = Some(t);
        Ok(t)
    }

    /// Resolves a C type name written as text (from tracefs formats and
    /// provider descriptions): `const char *`, `unsigned int`, `size_t`,
    /// `struct file *`.
    pub(crate) fn parse_c_type(&mut self, text: &str) -> Option<TypeId> {
        let stars = text.matches('*').count();
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '*')
            .filter(|w| {
                !w.is_empty() && !matches!(*w, "const" | "volatile" | "__user" | "restrict")
            })
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

/// The region of an error DTrace raises outside the cooking phase, when it
/// compiles the actions of a cooked clause: such errors have no region.
/// [`in_region`] turns it back into none.
pub(crate) const NO_REGION: &str = "";

/// An error DTrace raises when compiling a cooked clause's actions (not
/// while cooking it), which therefore shows no `in action list:` region.
pub(crate) fn cc_error(tag: &'static str, span: Span, message: impl Into<String>) -> Diag {
    Diag {
        region: Some(NO_REGION),
        ..Diag::new(tag, span, message)
    }
}

/// Marks an error raised while type-checking a clause part with that part,
/// except the errors DTrace raises outside that phase (format and
/// aggregating-function argument checks, made when the actions are
/// compiled), which carry no region.
fn in_region(mut d: Diag, region: &'static str) -> Diag {
    const OUTSIDE: &[&str] = &[
        "D_PRINTF_",
        "D_PRINTA_",
        "D_LQUANT_",
        "D_LLQUANT_",
        "D_AGG_NULL",
        "D_AGG_SCALAR",
        "D_TRACE_",
        "D_PRINT_",
        "D_STACK_",
        "D_USTACK_",
        "D_TRACEMEM_",
        "D_CLEAR_",
        "D_NORMALIZE_",
        "D_TRUNC_",
        "D_FREOPEN_",
        "D_CG_",
        "D_SYNTAX",
        "D_INT_OFLOW",
        "D_DIV_ZERO",
        "D_FUNC_UNDEF",
        "D_FUNC_IDKIND",
        "D_OFFSETOF_",
    ];
    match d.region {
        Some(NO_REGION) => d.region = None,
        Some(_) => {}
        None if OUTSIDE.iter().any(|p| d.tag.starts_with(p)) => {}
        None => d.region = Some(region),
    }
    d
}

#[cfg(test)]
mod tests;
