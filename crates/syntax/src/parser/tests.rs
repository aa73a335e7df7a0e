//! Parser tests: programs to tree shapes, and bad programs to DTrace's
//! diagnostics. Trees are compared in a compact prefix notation (see
//! [`sexp`]) so that each case fits on a line.

use super::*;
use crate::source::Origin;

/// Type names known in these tests: D's built-ins plus a few kernel-like
/// names, including a module-scoped one.
struct TestTypes;

impl TypeNames for TestTypes {
    fn is_type_name(&self, module: Option<&str>, name: &str) -> bool {
        match module {
            Some("vmlinux") => matches!(name, "task_t" | "pid_t"),
            _ => {
                NoTypeNames.is_type_name(module, name)
                    || matches!(name, "fileinfo_t" | "bufinfo_t" | "foo_t")
            }
        }
    }
}

fn macros() -> Macros {
    let mut m = Macros {
        args: vec![
            "script.d".into(),
            "42".into(),
            "read".into(),
            "hello world".into(),
            "\"quoted\"".into(),
            "-5".into(),
            "0x10".into(),
            "a\\tb".into(),
        ],
        ..Default::default()
    };
    for (k, v) in [("pid", "1234"), ("target", "777"), ("uid", "0")] {
        m.named.insert(k.into(), v.into());
    }
    m
}

fn parse_src(text: &str, origin: Origin, m: &Macros) -> Result<Parsed, Diag> {
    let src = Source::new(origin, text.to_string());
    let opts = ParseOptions {
        macros: m,
        types: &TestTypes,
    };
    parse_full(&src, 0, &opts)
}

fn script(text: &str) -> Result<Program, Diag> {
    parse_src(text, Origin::Script("t.d".into()), &macros()).map(|p| p.program)
}

fn spec(text: &str, kind: SpecKind) -> Result<Program, Diag> {
    parse_src(text, Origin::Spec(kind), &macros()).map(|p| p.program)
}

fn ok(text: &str) -> Program {
    match script(text) {
        Ok(p) => p,
        Err(d) => panic!("{text:?}: {} {}", d.tag, d.message),
    }
}

fn clauses(p: &Program) -> Vec<&Clause> {
    p.items
        .iter()
        .filter_map(|i| match i {
            Item::Clause(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn body(p: &Program) -> &[Stmt] {
    let c = clauses(p);
    c.first()
        .and_then(|c| c.body.as_deref())
        .expect("a clause with a body")
}

/// The expression statement(s) of `BEGIN { <code> }`.
fn exprs(code: &str) -> String {
    let p = ok(&format!("BEGIN {{ {code} }}"));
    body(&p).iter().map(stmt).collect::<Vec<_>>().join(" ")
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expr(e) => sexp(e),
        StmtKind::Empty => ";".into(),
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            let list = |v: &[Stmt]| v.iter().map(stmt).collect::<Vec<_>>().join(" ");
            match otherwise {
                Some(o) => format!("(if {} {{{}}} {{{}}})", sexp(cond), list(then), list(o)),
                None => format!("(if {} {{{}}})", sexp(cond), list(then)),
            }
        }
    }
}

fn sexp(e: &Expr) -> String {
    let b = |e: &Expr| sexp(e);
    match &e.kind {
        ExprKind::Int { value, suffix, .. } => {
            let u = if suffix.unsigned { "u" } else { "" };
            format!("{value}{u}{}", "l".repeat(suffix.longs as usize))
        }
        ExprKind::Char(v) => format!("char:{v}"),
        ExprKind::Float(v) => format!("f{v}"),
        ExprKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        ExprKind::Ident(n) => n.clone(),
        ExprKind::Scoped { module, name } => format!("{module}`{name}"),
        ExprKind::SelfVar(n) => format!("self->{n}"),
        ExprKind::ThisVar(n) => format!("this->{n}"),
        ExprKind::Agg(n) => format!("@{n}"),
        ExprKind::Unary { op, operand } => format!("({} {})", op.symbol(), b(operand)),
        ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.symbol(), b(lhs), b(rhs)),
        ExprKind::Assign { op, lhs, rhs } => {
            format!(
                "({}= {} {})",
                op.map_or("", BinaryOp::symbol),
                b(lhs),
                b(rhs)
            )
        }
        ExprKind::IncDec {
            increment,
            prefix,
            operand,
        } => format!(
            "({}{} {})",
            if *prefix { "pre" } else { "post" },
            if *increment { "++" } else { "--" },
            b(operand)
        ),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => format!("(? {} {} {})", b(cond), b(then), b(otherwise)),
        ExprKind::Cast { ty, operand } => format!("(cast {} {})", tyname(ty), b(operand)),
        ExprKind::SizeofType(t) => format!("(sizeof {})", tyname(t)),
        ExprKind::SizeofExpr(x) => format!("(sizeof {})", b(x)),
        ExprKind::Offsetof { ty, member } => format!("(offsetof {} {member})", tyname(ty)),
        ExprKind::Stringof(x) => format!("(stringof {})", b(x)),
        ExprKind::Xlate { ty, operand } => format!("(xlate {} {})", tyname(ty), b(operand)),
        ExprKind::Call { name, args, .. } => {
            let mut s = format!("(call {name}");
            for a in args {
                s.push(' ');
                s.push_str(&b(a));
            }
            s + ")"
        }
        ExprKind::Index { base, index } => {
            let mut s = format!("([] {}", b(base));
            for a in index {
                s.push(' ');
                s.push_str(&b(a));
            }
            s + ")"
        }
        ExprKind::Member {
            base,
            member,
            arrow,
        } => format!("({} {} {member})", if *arrow { "->" } else { "." }, b(base)),
        ExprKind::Comma { lhs, rhs } => format!("(, {} {})", b(lhs), b(rhs)),
    }
}

fn base(s: &DeclSpecs) -> String {
    let mut out = String::new();
    if let Some(st) = s.storage {
        out.push_str(&format!("{st:?} ").to_lowercase());
    }
    if s.is_const {
        out.push_str("const ");
    }
    if s.is_volatile {
        out.push_str("volatile ");
    }
    if s.is_userland {
        out.push_str("userland ");
    }
    let t = match &s.base {
        BaseType::Keywords(k) => k
            .iter()
            .map(|k| format!("{k:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
        BaseType::Named { module, name } => match module {
            Some(m) => format!("{m}`{name}"),
            None => name.clone(),
        },
        BaseType::Struct {
            is_union,
            module,
            tag,
            members,
        } => {
            let mut s = if *is_union {
                "union".to_string()
            } else {
                "struct".to_string()
            };
            if let Some(m) = module {
                s.push_str(&format!(" {m}`"));
            }
            if let Some(t) = tag {
                s.push_str(if module.is_some() { "" } else { " " });
                s.push_str(t);
            }
            if let Some(ms) = members {
                s.push_str(" {");
                for m in ms {
                    let ds: Vec<String> = m
                        .declarators
                        .iter()
                        .map(|d| {
                            let mut x = declarator(&d.declarator);
                            if let Some(w) = &d.bit_width {
                                x.push_str(&format!(":{}", sexp(w)));
                            }
                            x
                        })
                        .collect();
                    s.push_str(&format!(" {}: {};", base(&m.specs), ds.join(", ")));
                }
                s.push_str(" }");
            }
            s
        }
        BaseType::Enum {
            tag, enumerators, ..
        } => {
            let mut s = "enum".to_string();
            if let Some(t) = tag {
                s.push(' ');
                s.push_str(t);
            }
            if let Some(es) = enumerators {
                let es: Vec<String> = es
                    .iter()
                    .map(|e| match &e.value {
                        Some(v) => format!("{}={}", e.name, sexp(v)),
                        None => e.name.clone(),
                    })
                    .collect();
                s.push_str(&format!(" {{{}}}", es.join(",")));
            }
            s
        }
    };
    out + &t
}

fn params(ps: &[Param]) -> String {
    ps.iter()
        .map(|p| match &p.name {
            Some(n) => format!("{} {n}", tyname(&p.ty)),
            None => tyname(&p.ty),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn derived(d: &[Derived]) -> String {
    d.iter()
        .map(|d| match d {
            Derived::Pointer { is_const, .. } => {
                (if *is_const { "*const" } else { "*" }).to_string()
            }
            Derived::Array(ArrayDim::Unsized) => "[]".into(),
            Derived::Array(ArrayDim::Size(e)) => format!("[{}]", sexp(e)),
            Derived::Array(ArrayDim::Keys(k)) => format!("[{}]", params(k)),
            Derived::Function { params: p, varargs } => {
                format!("fn({}{})", params(p), if *varargs { ", ..." } else { "" })
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn declarator(d: &Declarator) -> String {
    let name = d.name.clone().unwrap_or_default();
    let der = derived(&d.derived);
    match (name.is_empty(), der.is_empty()) {
        (_, true) => name,
        (true, false) => der,
        (false, false) => format!("{name} {der}"),
    }
}

fn tyname(t: &TypeName) -> String {
    let d = derived(&t.declarator.derived);
    if d.is_empty() {
        base(&t.specs)
    } else {
        format!("{} {d}", base(&t.specs))
    }
}

fn decl(d: &Declaration) -> String {
    let ds: Vec<String> = d
        .declarators
        .iter()
        .map(|i| match &i.init {
            Some(e) => format!("{} = {}", declarator(&i.declarator), sexp(e)),
            None => declarator(&i.declarator),
        })
        .collect();
    format!("{}: {}", base(&d.specs), ds.join(", "))
}

fn decls(text: &str) -> Vec<String> {
    ok(text)
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Decl(d) => Some(decl(d)),
            _ => None,
        })
        .collect()
}

/// `(tag, message, line)` of the error `text` produces as a script.
fn err(text: &str) -> (&'static str, String, u32) {
    err_in(text, Origin::Script("t.d".into()), &macros())
}

fn err_in(text: &str, origin: Origin, m: &Macros) -> (&'static str, String, u32) {
    let src = Source::new(origin.clone(), text.to_string());
    match parse_src(text, origin, m) {
        Ok(p) => panic!("{text:?} parsed: {p:?}"),
        Err(d) => {
            let line = d.span.map_or(0, |s| src.line_of(s.start));
            (d.tag, d.message, line)
        }
    }
}

// ----------------------------------------------------------------------
// Expressions
// ----------------------------------------------------------------------

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("a * b * c", "(* (* a b) c)"),
        ("a / b % c", "(% (/ a b) c)"),
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a - b + c", "(+ (- a b) c)"),
        ("a << b + c", "(<< a (+ b c))"),
        ("a >> b >> c", "(>> (>> a b) c)"),
        ("a < b << c", "(< a (<< b c))"),
        ("a <= b > c >= d", "(>= (> (<= a b) c) d)"),
        ("a == b < c", "(== a (< b c))"),
        ("a != b == c", "(== (!= a b) c)"),
        ("a & b == c", "(& a (== b c))"),
        ("a ^ b & c", "(^ a (& b c))"),
        ("a | b ^ c", "(| a (^ b c))"),
        ("a && b | c", "(&& a (| b c))"),
        ("a ^^ b && c", "(^^ a (&& b c))"),
        ("a || b ^^ c", "(|| a (^^ b c))"),
        ("a || b || c", "(|| (|| a b) c)"),
        ("a ^^ b ^^ c", "(^^ (^^ a b) c)"),
        ("a * b || c + d && e", "(|| (* a b) (&& (+ c d) e))"),
        ("a ? b : c", "(? a b c)"),
        ("a ? b : c ? d : e", "(? a b (? c d e))"),
        ("a || b ? c : d", "(? (|| a b) c d)"),
        ("a ? b, c : d", "(? a (, b c) d)"),
        ("a = b = c", "(= a (= b c))"),
        ("a = b ? c : d", "(= a (? b c d))"),
        ("a += b", "(+= a b)"),
        ("a -= b", "(-= a b)"),
        ("a *= b", "(*= a b)"),
        ("a /= b", "(/= a b)"),
        ("a %= b", "(%= a b)"),
        ("a &= b", "(&= a b)"),
        ("a ^= b", "(^= a b)"),
        ("a |= b", "(|= a b)"),
        ("a <<= b", "(<<= a b)"),
        ("a >>= b", "(>>= a b)"),
        ("a = b, c = d", "(, (= a b) (= c d))"),
        ("a, b, c", "(, (, a b) c)"),
        ("-a * b", "(* (- a) b)"),
        ("+a", "(+ a)"),
        ("!a && ~b", "(&& (! a) (~ b))"),
        ("- - a", "(- (- a))"),
        ("*p++", "(* (post++ p))"),
        ("++*p", "(pre++ (* p))"),
        ("--a", "(pre-- a)"),
        ("a---b", "(- (post-- a) b)"),
        ("a++ + ++b", "(+ (post++ a) (pre++ b))"),
        ("&a->b", "(& (-> a b))"),
        ("*a.b", "(* (. a b))"),
        ("sizeof a + b", "(+ (sizeof a) b)"),
        ("sizeof (a) + b", "(+ (sizeof a) b)"),
        ("sizeof (int) * 2", "(* (sizeof int) 2)"),
        ("sizeof (x)[1]", "(sizeof ([] x 1))"),
        ("sizeof -a", "(sizeof (- a))"),
        ("stringof a", "(stringof a)"),
        ("stringof(a) + b", "(+ (stringof a) b)"),
        ("a[1][2]", "([] ([] a 1) 2)"),
        ("a[1, b]", "([] a 1 b)"),
        ("f()", "(call f)"),
        ("f(a, b = 1)", "(call f a (= b 1))"),
        ("f(a)(b)", "(call f a)"),
        ("(a)(b)", "(call a b)"),
        ("x->y.z", "(. (-> x y) z)"),
        ("args[0]->pid", "(-> ([] args 0) pid)"),
        ("x->counter", "(-> x counter)"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("a * (b + c)", "(* a (+ b c))"),
    ];
    for (code, want) in cases {
        // `f(a)(b)` is not a call of a function name: checked below.
        if code == "f(a)(b)" {
            continue;
        }
        assert_eq!(exprs(&format!("{code};")), want, "{code}");
    }
    assert_eq!(err("BEGIN { f(a)(b); }").0, "D_FUNC_IDENT");
}

#[test]
fn d_specific_expressions() {
    let cases = [
        ("self->x = 1", "(= self->x 1)"),
        ("this->y++", "(post++ this->y)"),
        ("self->p->q", "(-> self->p q)"),
        ("self->a[1]", "([] self->a 1)"),
        (
            "@c[execname] = count()",
            "(= ([] @c execname) (call count))",
        ),
        (
            "@[pid, tid] = sum(arg0)",
            "(= ([] @ pid tid) (call sum arg0))",
        ),
        ("@ = count()", "(= @ (call count))"),
        ("`jiffies", "`jiffies"),
        ("vmlinux`jiffies + 1", "(+ vmlinux`jiffies 1)"),
        ("libc.so.6`errno", "libc.so.6`errno"),
        ("offsetof(struct foo, bar)", "(offsetof struct foo bar)"),
        ("offsetof(foo_t, x)", "(offsetof foo_t x)"),
        (
            "xlate<psinfo_t *>(curthread)->pr_pid",
            "(-> (xlate psinfo_t * curthread) pr_pid)",
        ),
        ("xlate<struct foo>(p).x", "(. (xlate struct foo p) x)"),
        ("printf(\"%d\\n\", a)", "(call printf \"%d\\n\" a)"),
        ("x = 'a'", "(= x char:97)"),
        ("x = 'ab'", "(= x char:24930)"),
        ("x = '\\n'", "(= x char:10)"),
        ("x = '\\0'", "(= x char:0)"),
        ("x = 1.5", "(= x f1.5)"),
        ("x = 10ul + 2LL + 3U", "(= x (+ (+ 10ul 2ll) 3u))"),
        ("x = 0x1f + 017", "(= x (+ 31 15))"),
        ("x = \"a\\tb\\x41\\101\\q\"", "(= x \"a\\tbAA\\\\q\")"),
    ];
    for (code, want) in cases {
        assert_eq!(exprs(&format!("{code};")), want, "{code}");
    }
}

#[test]
fn casts_and_parenthesised_expressions() {
    let cases = [
        ("(uint64_t)x", "(cast uint64_t x)"),
        ("(uint64_t)-1", "(cast uint64_t (- 1))"),
        ("(uint64_t)x + 1", "(+ (cast uint64_t x) 1)"),
        ("(x) - 1", "(- x 1)"),
        ("(x) * y", "(* x y)"),
        ("(int)(char)x", "(cast int (cast char x))"),
        ("(unsigned long long)x", "(cast unsigned long long x)"),
        ("(struct foo *)p", "(cast struct foo * p)"),
        ("(const char *)p", "(cast const char * p)"),
        ("(userland int *)p", "(cast userland int * p)"),
        ("(int (*)(int))f", "(cast int fn(int) * f)"),
        ("(char [4])x", "(cast char [4] x)"),
        ("(`pid_t)x", "(cast `pid_t x)"),
        ("(vmlinux`task_t *)p", "(cast vmlinux`task_t * p)"),
        ("(string)arg0", "(cast string arg0)"),
        ("-(int)x", "(- (cast int x))"),
        ("(int)x->y", "(cast int (-> x y))"),
        ("sizeof (struct foo)", "(sizeof struct foo)"),
    ];
    for (code, want) in cases {
        assert_eq!(
            exprs(&format!("y = {code};")),
            format!("(= y {want})"),
            "{code}"
        );
    }
    // A type name followed by `=`, `[`, `++` or `--` is a variable from
    // then on, as in DTrace.
    assert_eq!(
        exprs("size_t = 1; x = (size_t) - 1;"),
        "(= size_t 1) (= x (- size_t 1))"
    );
    assert_eq!(exprs("x = (size_t) - 1;"), "(= x (cast size_t (- 1)))");
    // A declared variable is never a type in an expression, but a
    // declaration at the outer scope may still start with it.
    let p = ok("int foo_t;\nfoo_t y;\nBEGIN { x = (foo_t) - 1; }");
    assert_eq!(decls("int foo_t;\nfoo_t y;"), ["int: foo_t", "foo_t: y"]);
    let c = clauses(&p);
    let b = c[0].body.as_deref().unwrap();
    assert_eq!(stmt(&b[0]), "(= x (- foo_t 1))");
    // A type name is not an expression.
    assert_eq!(
        err("BEGIN { trace(uint64_t); }").1,
        "syntax error near \"uint64_t\""
    );
    assert_eq!(
        err("BEGIN { x = ++(int)y; }").1,
        "syntax error near \"int\""
    );
}

#[test]
fn assignment_needs_a_unary_expression() {
    for (code, near) in [
        ("a + b = 1", "="),
        ("(int)x = 1", "="),
        ("a ? b : c = 1", "="),
        ("a || b += 1", "+="),
    ] {
        let (tag, msg, _) = err(&format!("BEGIN {{ {code}; }}"));
        assert_eq!(
            (tag, msg),
            ("D_SYNTAX", format!("syntax error near \"{near}\"")),
            "{code}"
        );
    }
    assert_eq!(
        exprs("(a) = 1; -a = 2; *p = 3;"),
        "(= a 1) (= (- a) 2) (= (* p) 3)"
    );
}

// ----------------------------------------------------------------------
// Clauses and probe descriptions
// ----------------------------------------------------------------------

fn probes(p: &Program) -> Vec<Vec<[String; 4]>> {
    clauses(p)
        .iter()
        .map(|c| {
            c.probes
                .iter()
                .map(|d| {
                    [
                        d.provider.clone(),
                        d.module.clone(),
                        d.function.clone(),
                        d.name.clone(),
                    ]
                })
                .collect()
        })
        .collect()
}

fn pd(p: &str, m: &str, f: &str, n: &str) -> [String; 4] {
    [p.into(), m.into(), f.into(), n.into()]
}

#[test]
fn probe_descriptions() {
    let p = ok(
        "syscall::read:entry, syscall::write:entry\n{ }\nBEGIN{}\nprofile-97 {}\ntick-1sec { }\nread:entry {}\nfbt:ext4:*:return {}\nsyscall::read*:entry,syscall::[rw]*:return,a?c:[!x]\\*::{}",
    );
    assert_eq!(
        probes(&p),
        vec![
            vec![
                pd("syscall", "", "read", "entry"),
                pd("syscall", "", "write", "entry")
            ],
            vec![pd("", "", "", "BEGIN")],
            vec![pd("", "", "", "profile-97")],
            vec![pd("", "", "", "tick-1sec")],
            vec![pd("", "", "read", "entry")],
            vec![pd("fbt", "ext4", "*", "return")],
            vec![
                pd("syscall", "", "read*", "entry"),
                pd("syscall", "", "[rw]*", "return"),
                pd("a?c", "[!x]\\*", "", ""),
            ],
        ]
    );
    let c = clauses(&p);
    assert_eq!(c[0].body, Some(vec![]));
    assert_eq!(c[0].predicate, None);
}

#[test]
fn macro_variables_in_descriptions() {
    let p = ok("pid$target::malloc:entry {}\nsyscall::$2:entry {}\npid$pid:$$2::$$3 {}");
    assert_eq!(
        probes(&p),
        vec![
            vec![pd("pid777", "", "malloc", "entry")],
            vec![pd("syscall", "", "read", "entry")],
            vec![pd("pid1234", "read", "", "hello world")],
        ]
    );
    let c = clauses(&p);
    assert_eq!(c[0].probes[0].text, "pid777::malloc:entry");
    let parsed = parse_src(
        "syscall::$2:entry {}",
        Origin::Script("x".into()),
        &macros(),
    )
    .unwrap();
    assert!(parsed.referenced_args[2]);
    assert!(!parsed.referenced_args[1]);
}

#[test]
fn command_line_specifiers() {
    // Without predicate or actions, with fields filled from the kind.
    let p = spec("syscall", SpecKind::Provider).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("syscall", "", "", "")]]);
    assert_eq!(clauses(&p)[0].body, None);
    let p = spec("fbt:ext4", SpecKind::Module).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("fbt", "ext4", "", "")]]);
    let p = spec("vfs_read", SpecKind::Function).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("", "", "vfs_read", "")]]);
    let p = spec("BEGIN", SpecKind::Name).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("", "", "", "BEGIN")]]);
    let p = spec("syscall::read:entry { trace(arg0) }", SpecKind::Name).unwrap();
    assert_eq!(body(&p).len(), 1);
    // Probe ids: digits in `name` and `text`.
    let p = spec("42", SpecKind::Id).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("", "", "", "42")]]);
    assert_eq!(clauses(&p)[0].probes[0].text, "42");
    let p = ok("0x10 { }");
    assert_eq!(clauses(&p)[0].probes[0].text, "16");
    // Specifiers never take a name for a type.
    let p = spec("uint64_t", SpecKind::Name).unwrap();
    assert_eq!(probes(&p), vec![vec![pd("", "", "", "uint64_t")]]);
    // Two descriptions without bodies are two clauses.
    let p = spec("BEGIN END", SpecKind::Name).unwrap();
    assert_eq!(clauses(&p).len(), 2);
    assert_eq!(
        err_in("42", Origin::Spec(SpecKind::Provider), &macros()).1,
        "probe identifier 42 not permitted when specifying providers"
    );
    assert_eq!(
        err_in("a:b", Origin::Spec(SpecKind::Provider), &macros()).1,
        "invalid probe description \"a:b\": Overspecified probe description"
    );
}

#[test]
fn predicates() {
    let p = ok("syscall::read:entry\n/pid == 1 && arg0 / 2 > 3/\n{\n\ttrace(arg0);\n}");
    let c = clauses(&p);
    assert_eq!(
        sexp(c[0].predicate.as_ref().unwrap()),
        "(&& (== pid 1) (> (/ arg0 2) 3))"
    );
    let p = ok("BEGIN /x/ { }\nEND/y/{}");
    assert_eq!(clauses(&p).len(), 2);
    let p = ok("BEGIN /a[(1)]/ { }");
    assert_eq!(sexp(clauses(&p)[0].predicate.as_ref().unwrap()), "([] a 1)");
}

#[test]
fn statements() {
    assert_eq!(exprs("a = 1; b = 2"), "(= a 1) (= b 2)");
    assert_eq!(exprs(";;a;"), "; ; a");
    assert_eq!(exprs(""), "");
    assert_eq!(
        exprs("if (x) y = 1; else { z = 2; w = 3 }"),
        "(if x {(= y 1)} {(= z 2) (= w 3)})"
    );
    assert_eq!(exprs("if (x) { y = 1; }"), "(if x {(= y 1)})");
    assert_eq!(exprs("if (a) if (b) c; else d;"), "(if a {(if b {c} {d})})");
    assert_eq!(exprs("if (a) ; else ;"), "(if a {;} {;})");
    assert_eq!(
        exprs("if (a) { } else if (b) { c } else { d }"),
        "(if a {} {(if b {c} {d})})"
    );
    assert_eq!(err("BEGIN { if (x) y = 1 }").1, "syntax error near \"}\"");
    assert_eq!(err("BEGIN { if x { } }").1, "syntax error near \"x\"");
}

// ----------------------------------------------------------------------
// Macro variables in expressions
// ----------------------------------------------------------------------

#[test]
fn macro_substitution() {
    let cases = [
        ("x = $1", "(= x 42)"),
        ("x = $2", "(= x read)"),
        ("x = $3", "(= x \"hello world\")"),
        ("x = $4", "(= x \"quoted\")"),
        ("x = $5", "(= x (- 5))"),
        ("x = $6 + 1", "(= x (+ 16 1))"),
        ("x = $7", "(= x \"a\\tb\")"),
        ("x = $$1", "(= x \"42\")"),
        ("x = $$0", "(= x \"script.d\")"),
        ("x = $pid", "(= x 1234)"),
        ("x = $target", "(= x 777)"),
        ("x = $$target", "(= x \"777\")"),
        ("$2 = 3", "(= read 3)"),
    ];
    for (code, want) in cases {
        assert_eq!(exprs(&format!("{code};")), want, "{code}");
    }
    let e = err("BEGIN { x = $8; }");
    assert_eq!(
        e,
        (
            "D_MACRO_UNDEF",
            "macro argument $8 is not defined".into(),
            1
        )
    );
    let e = err("BEGIN\n{ x = $$9; }");
    assert_eq!(
        e,
        (
            "D_MACRO_UNDEF",
            "macro argument $$9 is not defined".into(),
            2
        )
    );
    let e = err("BEGIN { x = $euid; }");
    assert_eq!(
        e,
        (
            "D_MACRO_UNDEF",
            "macro variable $euid is not defined".into(),
            1
        )
    );
    let e = err("BEGIN { x = $$euid; }");
    assert_eq!(
        e,
        (
            "D_MACRO_UNDEF",
            "macro variable $$euid is not defined".into(),
            1
        )
    );
    // defaultargs, from the options or a pragma.
    let mut m = macros();
    m.default_args = true;
    let p = parse_src("BEGIN { x = $9; y = $$9; }", Origin::Script("t".into()), &m).unwrap();
    assert_eq!(
        body(&p.program).iter().map(stmt).collect::<Vec<_>>(),
        ["(= x 0)", "(= y \"\")"]
    );
    let p = ok("#pragma D option defaultargs\nBEGIN { x = $9; }");
    assert_eq!(stmt(&body(&p)[0]), "(= x 0)");
    let mut m = macros();
    m.args.push("99999999999999999999999".into());
    let e = err_in("BEGIN { x = $8; }", Origin::Script("t".into()), &m);
    assert_eq!(
        e,
        (
            "D_MACRO_OFLOW",
            "macro argument $8 constant 99999999999999999999999 results in integer overflow".into(),
            1
        )
    );
}

#[test]
fn unused_arguments() {
    let args = macros().args;
    let p = parse_src("BEGIN { x = $7; }", Origin::Script("t".into()), &macros()).unwrap();
    assert_eq!(p.check_arguments(&args, false), Ok(()));
    let p = parse_src("BEGIN { x = $1; }", Origin::Script("t".into()), &macros()).unwrap();
    let e = p.check_arguments(&args, false).unwrap_err();
    assert_eq!(e.tag, "D_MACRO_UNUSED");
    assert_eq!(
        e.message,
        "extraneous argument 'a\\tb' ($7 is not referenced)"
    );
    assert_eq!(p.check_arguments(&args, true), Ok(()));
    let p = parse_src(
        "#pragma D option argref\nBEGIN { }",
        Origin::Script("t".into()),
        &macros(),
    )
    .unwrap();
    assert_eq!(p.check_arguments(&args, false), Ok(()));
}

// ----------------------------------------------------------------------
// Pragmas and control lines
// ----------------------------------------------------------------------

fn pragmas(p: &Program) -> Vec<String> {
    p.items
        .iter()
        .filter_map(|i| match i {
            Item::Pragma(p) => Some(p.words.join(" ")),
            _ => None,
        })
        .collect()
}

#[test]
fn pragma_items() {
    let p = ok(
        "#!/usr/sbin/dtrace -s\n#pragma D option quiet\n  #pragma D option bufsize=4m\n#pragma D depends_on provider io\n#pragma D attributes Evolving/Evolving/Common provider io provider\n#pragma D binding \"1.0\" foo\n#pragma ident \"@(#)x.d\"\n#ident \"x\"\n#pragma unknown stuff\n#\n#pragma\n#pragma D\nBEGIN {}\n",
    );
    assert_eq!(
        pragmas(&p),
        [
            "D option quiet",
            "D option bufsize=4m",
            "D depends_on provider io",
            "D attributes Evolving/Evolving/Common provider io provider",
            "D binding \"1.0\" foo",
        ]
    );
    // A pragma inside a clause comes before the clause.
    let p = ok("BEGIN {\n#pragma D option quiet\n x = 1; }\nEND {}\n#pragma D option flowindent\n");
    let kinds: Vec<&str> = p
        .items
        .iter()
        .map(|i| match i {
            Item::Pragma(_) => "pragma",
            Item::Clause(_) => "clause",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["pragma", "clause", "clause", "pragma"]);
}

#[test]
fn line_directives_renumber_lines() {
    // `# N` numbers the next line N; `#line N` makes it N + 1 (DTrace).
    assert_eq!(err("# 10 \"x.d\"\nBEGIN { x = ; }").2, 10);
    assert_eq!(err("#line 10\nBEGIN { x = ; }").2, 11);
    assert_eq!(err("#pragma line 20\n\nBEGIN { x = ; }").2, 22);
    assert_eq!(err("BEGIN {\n/* #line 50 */\n x = ; }").2, 3);
}

#[test]
fn pragma_errors() {
    let cases: &[(&str, &str, &str, u32)] = &[
        (
            "#include <stdio.h>\n",
            "D_PRAGCTL_INVAL",
            "invalid control directive: #include",
            1,
        ),
        (
            "BEGIN {}\n#define X 1\n",
            "D_PRAGCTL_INVAL",
            "invalid control directive: #define",
            2,
        ),
        (
            "#\"x\"\n",
            "D_PRAGCTL_INVAL",
            "invalid control directive",
            1,
        ),
        (
            "#pragma D bogus\n",
            "D_PRAGMA_INVAL",
            "invalid D pragma: bogus",
            1,
        ),
        (
            "#pragma D option\n",
            "D_PRAGMA_MALFORM",
            "malformed #pragma option <option>=<val>",
            1,
        ),
        (
            "#pragma D option a b\n",
            "D_PRAGMA_MALFORM",
            "superfluous arguments specified for #pragma option",
            1,
        ),
        (
            "#pragma D depends_on foo bar\n",
            "D_PRAGMA_INVAL",
            "invalid class foo specified by #pragma depends_on",
            1,
        ),
        (
            "#pragma D depends_on provider\n",
            "D_PRAGMA_MALFORM",
            "malformed #pragma depends_on <class> <name>",
            1,
        ),
        (
            "#pragma D attributes Bogus x\n",
            "D_PRAGMA_INVAL",
            "invalid attributes specified by #pragma attributes",
            1,
        ),
        (
            "#pragma D attributes Stable\n",
            "D_PRAGMA_MALFORM",
            "malformed #pragma attributes <attributes> <ident>",
            1,
        ),
        (
            "#pragma D binding 1.0 x\n",
            "D_PRAGMA_MALFORM",
            "malformed #pragma binding \"version\" <ident>",
            1,
        ),
        (
            "#pragma D binding \"1.x\" x\n",
            "D_PRAGMA_INVAL",
            "invalid version string specified by #pragma binding",
            1,
        ),
        (
            "\n#pragma error oops \"now\" 3\n",
            "D_PRAGERR",
            "#error: oops now ",
            2,
        ),
        ("#error stop\n", "D_PRAGERR", "#error: stop ", 1),
        (
            "#line x\n",
            "D_PRAGMA_MALFORM",
            "malformed #line <line> [ [\"file\"] state ]",
            1,
        ),
        (
            "# 1 2\n",
            "D_PRAGMA_MALFORM",
            "malformed #line <line> [ [\"file\"] state ]",
            1,
        ),
        (
            "#pragma D option quiet",
            "D_SYNTAX",
            "end-of-file encountered before end of control line",
            1,
        ),
        (
            "#pragma D binding \"1.0\n",
            "D_STR_NL",
            "newline encountered in string literal",
            1,
        ),
        (
            "#line 099\n",
            "D_INT_DIGIT",
            "constant 099 contains invalid digit 9",
            1,
        ),
        (
            "BEGIN { x = 1; # 2\n}",
            "D_SYNTAX",
            "syntax error near \"#\"",
            1,
        ),
    ];
    for &(text, tag, msg, line) in cases {
        assert_eq!(err(text), (tag, msg.to_string(), line), "{text:?}");
    }
}

// ----------------------------------------------------------------------
// Declarations and definitions
// ----------------------------------------------------------------------

#[test]
fn declarations() {
    let cases: &[(&str, &str)] = &[
        ("int x;", "int: x"),
        ("int x, *y, z[4];", "int: x, y *, z [4]"),
        ("self int x;", "selfvar int: x"),
        ("this string s;", "thisvar string: s"),
        ("int a[string, int];", "int: a [string, int]"),
        ("int a[int fd];", "int: a [int fd]"),
        ("int s[10];", "int: s [10]"),
        ("int u[];", "int: u []"),
        ("unsigned long long z;", "unsigned long long: z"),
        ("const char *s;", "const char: s *"),
        ("char *const p;", "char: p *const"),
        ("int *a[4];", "int: a * [4]"),
        ("int (*a)[4];", "int: a [4] *"),
        ("int a[2][3];", "int: a [3] [2]"),
        ("int (*f)(int, char *);", "int: f fn(int, char *) *"),
        ("int *(*g)(void);", "int: g * fn(void) *"),
        ("int h(int, ...);", "int: h fn(int, ...)"),
        ("int (*k)(int (*)(int));", "int: k fn(int fn(int) *) *"),
        ("extern int vmlinux`max_pfn;", "extern int: vmlinux`max_pfn"),
        ("uint64_t t;", "uint64_t: t"),
        ("uint64_t*p;", "uint64_t: p *"),
        ("int*p;", "int: p *"),
        ("struct foo;", "struct foo: "),
        ("struct foo x;", "struct foo: x"),
        (
            "struct vmlinux`task_struct *t;",
            "struct vmlinux`task_struct: t *",
        ),
        (
            "struct foo { int a : 3; int : 2; char *p, c[2]; unsigned b:1; };",
            "struct foo { int: a:3; int: :2; char: p *, c [2]; unsigned: b:1; }: ",
        ),
        (
            "union u { int i; long l; } v;",
            "union u { int: i; long: l; }: v",
        ),
        ("struct { int x; } anon;", "struct { int: x; }: anon"),
        (
            "enum e { A, B = 2, C = A + 1 };",
            "enum e {A,B=2,C=(+ A 1)}: ",
        ),
        ("enum e x;", "enum e: x"),
        ("typedef struct foo foo2_t;", "typedef struct foo: foo2_t"),
        ("static int s;", "static int: s"),
        ("int;", "int: "),
        ("int x = 5;", "int: x = 5"),
    ];
    for &(text, want) in cases {
        assert_eq!(decls(text), [want], "{text}");
    }
}

#[test]
fn typedefs_declared_in_the_source_are_types() {
    let p = ok("typedef struct foo bar_t;\nbar_t x;\nbar_t*y;\nBEGIN { z = (bar_t *)0; }");
    let d: Vec<String> = p
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Decl(d) => Some(decl(d)),
            _ => None,
        })
        .collect();
    assert_eq!(d, ["typedef struct foo: bar_t", "bar_t: x", "bar_t: y *"]);
    assert_eq!(stmt(&body(&p)[0]), "(= z (cast bar_t * 0))");
    assert_eq!(typedef_names(&p), ["bar_t"]);
    // After a type name, an identifier is the declarator even if it names
    // a type: `typedef int foo; struct s { foo foo; };`
    let p = ok("typedef int foo;\nstruct s { foo foo; };");
    assert_eq!(
        decl(match &p.items[1] {
            Item::Decl(d) => d,
            _ => panic!(),
        }),
        "struct s { foo: foo; }: "
    );
}

#[test]
fn inlines_translators_providers() {
    let p = ok(
        "inline int FOO = 3;\ninline string NAME = \"x\" ;\ninline fileinfo_t fds[int fd] = xlate<fileinfo_t>(fd);\nBEGIN { x = FOO; }",
    );
    let inl: Vec<String> = p
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Inline(d) => Some(format!(
                "{}: {} = {}",
                base(&d.specs),
                declarator(&d.declarator),
                sexp(&d.value)
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        inl,
        [
            "int: FOO = 3",
            "string: NAME = \"x\"",
            "fileinfo_t: fds [int fd] = (xlate fileinfo_t fd)"
        ]
    );
    let p = ok(
        "translator psinfo_t < struct task_struct *T > {\n\tpr_pid = T->tgid;\n\tpr_fname = T->comm;\n};\ntranslator foo_t < int x > { };",
    );
    let Item::Translator(t) = &p.items[0] else {
        panic!()
    };
    assert_eq!(tyname(&t.output), "psinfo_t");
    assert_eq!(tyname(&t.input), "struct task_struct *");
    assert_eq!(t.input_name, "T");
    let m: Vec<String> = t
        .members
        .iter()
        .map(|m| format!("{} = {}", m.name, sexp(&m.value)))
        .collect();
    assert_eq!(m, ["pr_pid = (-> T tgid)", "pr_fname = (-> T comm)"]);
    let Item::Translator(t) = &p.items[1] else {
        panic!()
    };
    assert!(t.members.is_empty());
    let p = ok(
        "provider myapp {\n\tprobe query__start(char *, int);\n\tprobe done();\n\tprobe x(struct foo *f) : (fileinfo_t *);\n};\nprovider empty { };",
    );
    let Item::Provider(pv) = &p.items[0] else {
        panic!()
    };
    assert_eq!(pv.name, "myapp");
    let ps: Vec<String> = pv
        .probes
        .iter()
        .map(|pr| match &pr.xargs {
            Some(x) => format!("{}({}) : ({})", pr.name, params(&pr.args), params(x)),
            None => format!("{}({})", pr.name, params(&pr.args)),
        })
        .collect();
    assert_eq!(
        ps,
        [
            "query__start(char *, int)",
            "done()",
            "x(struct foo * f) : (fileinfo_t *)"
        ]
    );
}

// ----------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------

#[test]
fn error_table() {
    let cases: &[(&str, &str, &str, u32)] = &[
        ("BEGIN { x = ; }", "D_SYNTAX", "syntax error near \";\"", 1),
        (
            "BEGIN {\n x = 1\n y = 2; }",
            "D_SYNTAX",
            "syntax error near \"y\"",
            3,
        ),
        (
            "BEGIN { x = 1;",
            "D_SYNTAX",
            "syntax error near end of input",
            1,
        ),
        (
            "BEGIN { x = 1;\n",
            "D_SYNTAX",
            "syntax error near end of input",
            2,
        ),
        (
            "\nBEGIN\n",
            "D_SYNTAX",
            "expected predicate and/or actions following probe description",
            2,
        ),
        (
            "BEGIN, END",
            "D_SYNTAX",
            "expected predicate and/or actions following probe description",
            1,
        ),
        (
            "BEGIN\n/x/\n",
            "D_SYNTAX",
            "expected actions { } following probe description and predicate",
            3,
        ),
        (
            "BEGIN /x/ ;",
            "D_SYNTAX",
            "expected actions { } following probe description and predicate",
            1,
        ),
        (
            "BEGIN /x/ trace(1);",
            "D_SYNTAX",
            "syntax error near \";\"",
            1,
        ),
        ("`pid_t q;", "D_SYNTAX", "syntax error near \"`\"", 1),
        ("BEGIN, { }", "D_SYNTAX", "syntax error near \"{\"", 1),
        (
            "BEGIN { trace(1) }; ",
            "D_SYNTAX",
            "syntax error near \";\"",
            1,
        ),
        ("BEGIN { } }", "D_SYNTAX", "syntax error near \"}\"", 1),
        (
            "BEGIN { x = \"abc\n\"; }",
            "D_STR_NL",
            "newline encountered in string literal",
            1,
        ),
        (
            "BEGIN { x = \"abc",
            "D_SYNTAX",
            "syntax error near \"\"\"",
            1,
        ),
        (
            "BEGIN { x = 'ab\n'; }",
            "D_CHR_NL",
            "newline encountered in character constant",
            1,
        ),
        (
            "BEGIN { x = ''; }",
            "D_CHR_NULL",
            "empty character constant",
            1,
        ),
        (
            "BEGIN { x = 'abcdefghi'; }",
            "D_CHR_OFLOW",
            "character constant is too long",
            1,
        ),
        (
            "/* unterminated\n\n",
            "D_SYNTAX",
            "end-of-file encountered before matching */",
            3,
        ),
        (
            "/* a /* b */",
            "D_SYNTAX",
            "/* encountered inside a comment",
            1,
        ),
        (
            "BEGIN { x = 99999999999999999999; }",
            "D_INT_OFLOW",
            "constant 99999999999999999999 results in integer overflow",
            1,
        ),
        (
            "BEGIN { x = 08; }",
            "D_INT_DIGIT",
            "constant 08 contains invalid digit 8",
            1,
        ),
        (
            "BEGIN { x = a ]; }",
            "D_SYNTAX",
            "extra ] in input stream",
            1,
        ),
        (
            "BEGIN { x = a ); }",
            "D_SYNTAX",
            "extra ) in input stream",
            1,
        ),
        (
            "BEGIN /(x/ { }",
            "D_SYNTAX",
            "closing ) expected in predicate before /",
            1,
        ),
        (
            "BEGIN /x[1/ { }",
            "D_SYNTAX",
            "closing ] expected in predicate before /",
            1,
        ),
        (
            "BEGIN { x = a / ; }",
            "D_SYNTAX",
            "syntax error near \"/\"",
            1,
        ),
        (
            "BEGIN { x = $$; }",
            "D_SYNTAX",
            "syntax error near \"$\"",
            1,
        ),
        (
            "BEGIN { x = \u{e9}; }",
            "D_SYNTAX",
            "syntax error near \"\u{e9}\"",
            1,
        ),
        (
            "BEGIN { x = 1 ` }",
            "D_SYNTAX",
            "syntax error near \"`\"",
            1,
        ),
        (
            "BEGIN { break; }",
            "D_SYNTAX",
            "syntax error near \"break\"",
            1,
        ),
        (
            "BEGIN { printf(\"%d\", x }",
            "D_SYNTAX",
            "syntax error near \"}\"",
            1,
        ),
        (
            "BEGIN { x = (int y; }",
            "D_SYNTAX",
            "syntax error near \"y\"",
            1,
        ),
        (
            "BEGIN { self->x(1); }",
            "D_FUNC_IDENT",
            "function designator is not of function type",
            1,
        ),
        ("int x", "D_SYNTAX", "syntax error near end of input", 1),
        (
            "int;x",
            "D_SYNTAX",
            "expected predicate and/or actions following probe description",
            1,
        ),
        ("x = 1;", "D_SYNTAX", "syntax error near \"=\"", 1),
        (
            "static extern int x;",
            "D_DECL_CLASS",
            "only one storage class allowed in a declaration",
            1,
        ),
        (
            "unsigned uint64_t x;",
            "D_DECL_COMBO",
            "invalid type combination",
            1,
        ),
        ("struct foo { };", "D_SYNTAX", "syntax error near \"}\"", 1),
        ("struct { int; };", "D_SYNTAX", "syntax error near \";\"", 1),
        ("enum { A, };", "D_SYNTAX", "syntax error near \"}\"", 1),
        ("inline int x;", "D_SYNTAX", "syntax error near \";\"", 1),
        (
            "provider p { probe; };",
            "D_SYNTAX",
            "syntax error near \";\"",
            1,
        ),
        (
            "a:b:c:d:e { }",
            "D_PDESC_INVAL",
            "invalid probe description \"a:b:c:d:e\": Overspecified probe description",
            1,
        ),
        (
            "syscall::$9:entry { }",
            "D_PDESC_INVAL",
            "invalid probe description \"syscall::$9:entry\": Undefined macro variable in probe description",
            1,
        ),
        (
            "123456789012 { }",
            "D_PDESC_INVAL",
            "identifier 123456789012 exceeds maximum probe id",
            1,
        ),
        ("BEGIN { } ;", "D_SYNTAX", "syntax error near \";\"", 1),
        (
            "BEGIN\n{\n\tx = 1;\n\t@a = count(;\n}\n",
            "D_SYNTAX",
            "syntax error near \";\"",
            4,
        ),
    ];
    for &(text, tag, msg, line) in cases {
        assert_eq!(err(text), (tag, msg.to_string(), line), "{text:?}");
    }
}

#[test]
fn error_spans_point_at_the_token() {
    let src = "BEGIN\n{\n\tx = 1 +;\n}";
    let e = script(src).unwrap_err();
    let span = e.span.unwrap();
    assert_eq!(&src[span.start as usize..span.end as usize], ";");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Parsing recursion needs up to about 4 KiB per level in unoptimised
    // builds (measured); give the test room to spare.
    let run = || {
        let n = MAX_NESTING - 10;
        let ok_text = format!("BEGIN {{ x = {}1{}; }}", "(".repeat(n), ")".repeat(n));
        assert!(script(&ok_text).is_ok());
        let n = MAX_NESTING + 10;
        let deep = format!("BEGIN {{ x = {}1{}; }}", "(".repeat(n), ")".repeat(n));
        let e = script(&deep).unwrap_err();
        assert_eq!(e.tag, "D_SYNTAX");
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
        for deep in [
            format!("BEGIN {{ x = {}1; }}", "-".repeat(5000)),
            format!("BEGIN {{ x = {}1; }}", "!".repeat(5000)),
            format!("BEGIN {{ x = 1{}; }}", " + 1".repeat(5000)),
            format!("BEGIN {{ x = a{}; }}", "[1]".repeat(5000)),
            format!("BEGIN {{ x = {}1{}; }}", "a ? 1 : ".repeat(5000), ""),
            format!("BEGIN {{ {} x; }}", "if (1) ".repeat(5000)),
            format!("int {}x{};", "(".repeat(5000), ")".repeat(5000)),
            format!("BEGIN {{ x = {}; }}", "(int)".repeat(5000) + "1"),
            format!("BEGIN {{ x = {}1; }}", "a = ".repeat(5000)),
        ] {
            let e = script(&deep).unwrap_err();
            assert!(e.message.contains("nested too deeply"), "{}", e.message);
        }
    };
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn many_clauses_parse_in_linear_time() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "syscall::read:entry /pid == {i} && execname == \"x{i}\"/ {{ @c[probefunc] = count(); self->t = timestamp; }}\n"
        ));
    }
    let start = std::time::Instant::now();
    let p = ok(&text);
    assert_eq!(clauses(&p).len(), 10_000);
    // Generous even for unoptimised builds on a slow machine.
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

/// A small deterministic generator for the robustness tests.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn arbitrary_text_never_panics() {
    let pieces: &[&str] = &[
        "BEGIN",
        "syscall::read:entry",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "/",
        "*",
        "/*",
        "*/",
        "//",
        "\n",
        "#pragma D option quiet\n",
        "#line 3\n",
        "# 4 \"f\"\n",
        "#",
        "\"",
        "'",
        "\\",
        "$1",
        "$$2",
        "$pid",
        "$",
        "@",
        "@a",
        "x",
        "self",
        "->",
        "this",
        "int",
        "struct",
        "{",
        ";",
        ",",
        ":",
        "?",
        "=",
        "==",
        "+",
        "++",
        "-",
        "--",
        "<",
        ">",
        "<<=",
        "&&",
        "^^",
        "xlate",
        "<",
        "uint64_t",
        "sizeof",
        "offsetof",
        "stringof",
        "translator",
        "provider",
        "probe",
        "inline",
        "typedef",
        "enum",
        "if",
        "else",
        "0x",
        "08",
        "1.5e",
        "'ab'",
        "\"s\\",
        "`",
        "vmlinux`",
        "é",
        "\u{0}",
        "\r",
        "\t",
        "...",
        "userland",
        "self int x;",
        "#!",
        "tick-1s",
        "!",
        "~",
        "%",
        "99999999999999999999999",
    ];
    let mut rng = Lcg(12345);
    for _ in 0..3000 {
        let n = (rng.next() % 30) as usize;
        let mut text = String::new();
        for _ in 0..n {
            let p = pieces[(rng.next() as usize) % pieces.len()];
            text.push_str(p);
            if rng.next().is_multiple_of(3) {
                text.push(' ');
            }
        }
        for origin in [
            Origin::Script("f".into()),
            Origin::Spec(SpecKind::Name),
            Origin::Spec(SpecKind::Provider),
        ] {
            let _ = parse_src(&text, origin, &macros());
        }
    }
    // Every prefix of a realistic script, cut at any character.
    let script_text = "#!/usr/sbin/dtrace -qs\n#pragma D option quiet\ninline int N = 3;\nstruct s { int a:2; };\nsyscall::read:entry /pid == $1 && self->x[\"k\"] != 0/ {\n\t@a[execname, probefunc] = quantize(arg2 / 1024);\n\tthis->p = (struct s *)copyin(arg1, sizeof (struct s));\n\tif (x) { y = 'c'; } else z = \"s\\n\";\n}\n";
    for (i, _) in script_text.char_indices() {
        let _ = script(&script_text[..i]);
    }
    // Random bytes, made valid UTF-8 lossily.
    for _ in 0..500 {
        let bytes: Vec<u8> = (0..(rng.next() % 200)).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = script(&text);
        let _ = Source::new(Origin::Script("x".into()), text);
    }
}

#[test]
fn comments_and_continuations() {
    assert_eq!(
        exprs("a = 1; // to the end of the line\n b = 2 /* in */ + /* between */ 3;"),
        "(= a 1) (= b (+ 2 3))"
    );
    assert_eq!(exprs("a = \\\n 1;"), "(= a 1)");
    assert_eq!(exprs("a = 1.;"), "(= a f1)");
    let p = ok("// leading comment\n/* block\n comment */ BEGIN // after\n{ }");
    assert_eq!(clauses(&p).len(), 1);
}

#[test]
fn builtin_type_names() {
    assert!(NoTypeNames.is_type_name(None, "uint64_t"));
    assert!(NoTypeNames.is_type_name(Some("D"), "size_t"));
    assert!(NoTypeNames.is_type_name(None, "psinfo_t"));
    assert!(!NoTypeNames.is_type_name(None, "timestamp"));
    assert!(!NoTypeNames.is_type_name(Some("vmlinux"), "uint64_t"));
}

#[test]
fn pspec_option_makes_names_descriptions() {
    assert_eq!(decls("uint64_t x;"), ["uint64_t: x"]);
    let e = err("#pragma D option pspec\nuint64_t x;");
    assert_eq!(
        e,
        (
            "D_SYNTAX",
            "expected predicate and/or actions following probe description".into(),
            2
        )
    );
}
