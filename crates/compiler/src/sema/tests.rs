//! Checker tests: D programs to the types DTrace gives their expressions,
//! and bad programs to DTrace's error tags and messages.

use super::*;
use dtrace_syntax::macros::Macros;
use dtrace_syntax::parser::{self, NoTypeNames, ParseOptions};
use dtrace_syntax::source::{Origin, Source};

/// Probe 1 is `dtrace:::BEGIN` (no arguments); probe 2 has two typed
/// arguments.
fn probes() -> Vec<ProbeInfo> {
    vec![
        ProbeInfo {
            id: 1,
            provider: "dtrace".into(),
            module: String::new(),
            function: String::new(),
            name: "BEGIN".into(),
            args: vec![],
        },
        ProbeInfo {
            id: 2,
            provider: "test".into(),
            module: String::new(),
            function: "f".into(),
            name: "entry".into(),
            args: vec!["int".into(), "const char *".into()],
        },
    ]
}

/// Checks `text` as a script whose clauses all enable probe `probe`.
fn check_with_probe(text: &str, probe: u32) -> Result<Checked> {
    let source = Source::new(Origin::Script("t.d".into()), text.to_string());
    let macros = Macros {
        args: vec!["t.d".into()],
        ..Default::default()
    };
    let popts = ParseOptions {
        macros: &macros,
        types: &NoTypeNames,
    };
    let program = parser::parse(&source, 0, &popts)?;
    let clauses = program
        .items
        .iter()
        .filter(|i| matches!(i, Item::Clause(_)))
        .count();
    let clause_probes = vec![vec![probe]; clauses];
    let infos = probes();
    let lookup = |id: u32| infos.iter().find(|p| p.id == id);
    let btf = LazyBtf::none();
    let opts = CheckOptions::default();
    let line_of = |s: Span| source.line_of(s.start);
    check_with_lines(&program, &clause_probes, &lookup, &btf, &opts, &line_of)
}

fn check_src(text: &str) -> Result<Checked> {
    check_with_probe(text, 1)
}

/// The tag and message of the error `text` fails with.
fn error(text: &str) -> (String, String) {
    match check_src(text) {
        Ok(_) => panic!("expected an error from {text:?}"),
        Err(d) => (d.tag.to_string(), d.message),
    }
}

fn tag(text: &str) -> String {
    error(text).0
}

/// The type DTrace gives `expr`: the type of a variable assigned it.
fn type_of(expr: &str) -> String {
    let text = format!("BEGIN {{ v = {expr}; }}");
    let checked = check_src(&text).unwrap_or_else(|d| panic!("{expr}: {} {}", d.tag, d.message));
    let var = checked.vars.iter().find(|v| v.name == "v").expect("v");
    checked.types.name(var.ty)
}

/// The value a constant expression folds to.
fn value_of(expr: &str) -> i64 {
    let text = format!("BEGIN {{ v = {expr}; }}");
    let checked = check_src(&text).unwrap_or_else(|d| panic!("{expr}: {} {}", d.tag, d.message));
    let Some(TStmt::Expr(TExpr {
        kind: TExprKind::Assign { value, .. },
        ..
    })) = checked.clauses.first().and_then(|c| c.body.first())
    else {
        panic!("{expr}: not an assignment");
    };
    match value.kind {
        TExprKind::Int(v) => v,
        ref k => panic!("{expr}: not folded: {k:?}"),
    }
}

#[test]
fn integer_constants_are_typed_by_value_radix_and_suffix() {
    assert_eq!(type_of("1"), "int");
    assert_eq!(type_of("2147483647"), "int");
    assert_eq!(type_of("2147483648"), "long");
    assert_eq!(type_of("0x7fffffff"), "int");
    assert_eq!(type_of("0x80000000"), "unsigned int");
    assert_eq!(type_of("0xffffffffffffffff"), "unsigned long");
    assert_eq!(type_of("1u"), "unsigned int");
    assert_eq!(type_of("1l"), "long");
    assert_eq!(type_of("1ul"), "unsigned long");
    assert_eq!(type_of("1ll"), "long long");
    assert_eq!(type_of("1ull"), "unsigned long long");
    assert_eq!(type_of("18446744073709551615u"), "unsigned long");
    // Character constants are int.
    assert_eq!(type_of("'a'"), "int");
    assert_eq!(value_of("'a'"), 97);
}

#[test]
fn decimal_constants_above_int64_max_do_not_fit() {
    assert_eq!(
        error("BEGIN { x = 18446744073709551615; }"),
        (
            "D_INT_OFLOW".into(),
            "integer constant 0xffffffffffffffff cannot be represented in any built-in integral type".into()
        )
    );
    assert_eq!(tag("BEGIN { x = 9223372036854775808; }"), "D_INT_OFLOW");
}

#[test]
fn arithmetic_has_no_integer_promotions() {
    assert_eq!(type_of("(char)1 + (char)2"), "char");
    assert_eq!(type_of("(short)1 * (short)2"), "short");
    assert_eq!(type_of("(char)1 + 1"), "int");
    assert_eq!(type_of("1 + 1L"), "long");
    assert_eq!(type_of("1L + 1LL"), "long long");
    assert_eq!(type_of("1LL + 1L"), "long long");
    assert_eq!(type_of("1 + 1u"), "unsigned int");
    assert_eq!(type_of("1u + 1L"), "long");
    assert_eq!(type_of("1UL - 1L"), "unsigned long");
    assert_eq!(type_of("(uint64_t)1 + (int64_t)1"), "uint64_t");
    assert_eq!(type_of("pid + 1"), "pid_t");
    assert_eq!(type_of("arg0 % 3"), "int64_t");
    assert_eq!(type_of("timestamp & 0xff"), "uint64_t");
}

#[test]
fn shifts_and_unary_operators_keep_their_operand_type() {
    assert_eq!(type_of("(char)1 << 2"), "char");
    assert_eq!(type_of("1 << 40L"), "int");
    assert_eq!(type_of("1L >> 1"), "long");
    assert_eq!(type_of("-(short)1"), "short");
    assert_eq!(type_of("~(char)0"), "char");
    assert_eq!(type_of("+(uint8_t)3"), "uint8_t");
    // Negative literals are a unary minus on the positive constant.
    assert_eq!(type_of("-1"), "int");
    assert_eq!(type_of("-2147483648"), "long");
}

#[test]
fn comparisons_and_logical_operators_are_int() {
    assert_eq!(type_of("1L < 2L"), "int");
    assert_eq!(type_of("pid == 1"), "int");
    assert_eq!(type_of("timestamp && 1"), "int");
    assert_eq!(type_of("!pid"), "int");
    assert_eq!(type_of("execname == \"x\""), "int");
    assert_eq!(type_of("sizeof (int)"), "size_t");
    assert_eq!(type_of("sizeof \"abc\""), "size_t");
    assert_eq!(value_of("sizeof \"abc\""), 4);
}

#[test]
fn constants_fold_in_64_bits() {
    assert_eq!(value_of("2 + 3 * 4"), 14);
    // No narrowing to the result type: 2^40 stays 2^40 although it is int.
    assert_eq!(value_of("1 << 40"), 1 << 40);
    assert_eq!(value_of("2147483647 + 1"), 2147483648);
    // `>>` folds as a logical shift of the 64-bit value.
    assert_eq!(value_of("-8 >> 1"), 0x7fff_ffff_ffff_fffc);
    assert_eq!(value_of("-7 / 2"), -3);
    assert_eq!(value_of("7u / 2"), 3);
    // Negating an unsigned constant keeps it within its width.
    assert_eq!(value_of("-1u"), 0xffff_ffff);
    assert_eq!(value_of("(char)300"), 44);
    assert_eq!(value_of("1 ? 5 : 6"), 5);
}

#[test]
fn new_variables_take_the_type_assigned() {
    assert_eq!(type_of("(char)1"), "char");
    assert_eq!(type_of("\"abc\""), "string");
    assert_eq!(type_of("pid"), "pid_t");
    let checked = check_src("BEGIN { n++; a[1]++; }").expect("checks");
    for v in &checked.vars {
        assert_eq!(checked.types.name(v.ty), "int64_t", "{}", v.name);
    }
}

#[test]
fn operator_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { x = \"a\" * 2; }",
            "D_OP_ARITH",
            "operator * requires operands of arithmetic type",
        ),
        (
            "BEGIN { x = \"a\" % 2; }",
            "D_OP_INT",
            "operator % requires operands of integral type",
        ),
        (
            "BEGIN { x = \"a\" << 2; }",
            "D_OP_INT",
            "operator << requires operands of integral type",
        ),
        (
            "BEGIN { x = ~\"a\"; }",
            "D_OP_INT",
            "operator ~ requires an operand of integral type",
        ),
        (
            "BEGIN { x = -\"a\"; }",
            "D_OP_ARITH",
            "operator - requires an operand of arithmetic type",
        ),
        (
            "BEGIN { x = !\"a\"; }",
            "D_OP_SCALAR",
            "operator ! requires an operand of scalar type",
        ),
        (
            "BEGIN { x = \"a\" && 1; }",
            "D_OP_SCALAR",
            "operator && requires operands of scalar type",
        ),
        (
            "BEGIN { x = 1 ^^ \"a\"; }",
            "D_OP_SCALAR",
            "operator ^^ requires operands of scalar type",
        ),
        (
            "BEGIN { x = \"s\"; x++; }",
            "D_OP_SCALAR",
            "operator ++ requires operand of scalar type",
        ),
        (
            "BEGIN { x = (void *)0; x--; }",
            "D_OP_VFPTR",
            "operator -- requires an operand of known size",
        ),
        (
            "BEGIN { 1 = 2; }",
            "D_OP_LVAL",
            "operator = requires modifiable lvalue as an operand",
        ),
        (
            "BEGIN { pid = 1; }",
            "D_OP_WRITE",
            "operator = can only be applied to a writable variable",
        ),
        (
            "BEGIN { pid++; }",
            "D_OP_WRITE",
            "operator ++ can only be applied to a writable variable",
        ),
        (
            "BEGIN { x = 1; x = \"str\"; }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"int\" = \"string\"",
        ),
        (
            "BEGIN { x = \"a\" < 1; }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"string\" < \"int\"",
        ),
        (
            "BEGIN { x = \"a\" + \"b\"; }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"string\" + \"string\"",
        ),
        (
            "BEGIN { x = 1; x += \"a\"; }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"int\" += \"string\"",
        ),
        (
            "BEGIN { x = pid ? \"a\" : 2; }",
            "D_OP_INCOMPAT",
            "operator ?: operands must have compatible types",
        ),
        (
            "BEGIN { x = \"a\" ? 1 : 2; }",
            "D_OP_SCALAR",
            "operator ?: expression must be of scalar type",
        ),
        (
            "BEGIN { trace(&1); }",
            "D_ADDROF_LVAL",
            "unacceptable operand for unary & operator",
        ),
        (
            "BEGIN { x = 1; trace(&x); }",
            "D_ADDROF_VAR",
            "cannot take address of dynamic variable",
        ),
        (
            "BEGIN { x = 1; trace(*x); }",
            "D_DEREF_NONPTR",
            "cannot dereference non-pointer type",
        ),
        (
            "BEGIN { trace(*(void *)0); }",
            "D_DEREF_VOID",
            "cannot dereference pointer to void",
        ),
        (
            "BEGIN { x = 1; trace(x->a); }",
            "D_OP_PTR",
            "operator -> must be applied to a pointer",
        ),
        (
            "BEGIN { x = 1 / 0; }",
            "D_DIV_ZERO",
            "expression contains division by zero",
        ),
        (
            "BEGIN { x = 1; x %= 0; }",
            "D_DIV_ZERO",
            "expression contains division by zero",
        ),
        (
            "BEGIN { x = (struct nosuch)0; }",
            "D_CAST_INVAL",
            "invalid cast expression: \"int\" to \"struct nosuch\"",
        ),
        (
            "BEGIN { x = sizeof (struct nosuch); }",
            "D_SIZEOF_TYPE",
            "cannot apply sizeof to an operand of unknown size",
        ),
        (
            "BEGIN { x = (x, trace(1)); }",
            "D_VAR_UNDEF",
            "x has not yet been declared or assigned",
        ),
        (
            "BEGIN { y = 1; x = (y, trace(1)); }",
            "D_OP_ACT",
            "operator , operands cannot be actions",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(error(src), (t.to_string(), m.to_string()), "{src}");
    }
}

#[test]
fn name_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { trace(nosuch); }",
            "D_IDENT_UNDEF",
            "failed to resolve nosuch: Unknown variable name",
        ),
        (
            "BEGIN { nosuch(1); }",
            "D_FUNC_UNDEF",
            "undefined function name: nosuch",
        ),
        (
            "BEGIN { pid(1); }",
            "D_FUNC_IDKIND",
            "scalar 'pid' may not be referenced as a function",
        ),
        (
            "BEGIN { a[1] = 1; trace(a); }",
            "D_IDENT_BADREF",
            "associative array 'a' may not be referenced as scalar",
        ),
        (
            "BEGIN { x = trace; }",
            "D_IDENT_BADREF",
            "tracing function 'trace' may not be referenced as scalar",
        ),
        (
            "BEGIN { trace(self->nope); }",
            "D_VAR_UNDEF",
            "self->nope has not yet been declared or assigned",
        ),
        (
            "BEGIN { trace(this->nope); }",
            "D_VAR_UNDEF",
            "this->nope has not yet been declared or assigned",
        ),
        (
            "BEGIN { x = x + 1; }",
            "D_VAR_UNDEF",
            "x has not yet been declared or assigned",
        ),
        (
            "BEGIN { x += 1; }",
            "D_VAR_UNDEF",
            "x has not yet been declared or assigned",
        ),
        (
            "BEGIN { trace(a[1]); }",
            "D_VAR_UNDEF",
            "a has not yet been declared or assigned",
        ),
        (
            "BEGIN { this->a[1] = 1; }",
            "D_ARR_LOCAL",
            "local variables may not be used as associative arrays: a",
        ),
        (
            "BEGIN { x = 1; trace(x[1, 2]); }",
            "D_ARR_BADREF",
            "cannot access scalar x as an associative array",
        ),
        (
            "BEGIN { a[1] = 1; trace(a[1, 2]); }",
            "D_PROTO_LEN",
            "a[ ] prototype mismatch: 2 keys passed, 1 expected",
        ),
        (
            "BEGIN { a[1] = 1; trace(a[\"x\"]); }",
            "D_PROTO_ARG",
            "a[ ] key #1 is incompatible with prototype:\n\tprototype: int\n\t      key: string",
        ),
        (
            "BEGIN { trace(args[0]); }",
            "D_ARGS_IDX",
            "index 0 is out of range for :::BEGIN args[ ]",
        ),
        (
            "BEGIN { x = 1.5; }",
            "D_SYNTAX",
            "floating-point constants are not permitted",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(error(src), (t.to_string(), m.to_string()), "{src}");
    }
}

#[test]
fn typed_probe_arguments() {
    let checked =
        check_with_probe("test:::entry { x = args[0]; y = args[1]; }", 2).expect("checks");
    let names: Vec<String> = checked
        .vars
        .iter()
        .map(|v| checked.types.name(v.ty))
        .collect();
    assert_eq!(names, vec!["int".to_string(), "char *".to_string()]);
    let e = check_with_probe("test:::entry { x = args[pid]; }", 2).expect_err("not constant");
    assert_eq!(e.tag, "D_PROTO_ARG");
    assert_eq!(
        e.message,
        "args[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: pid_t"
    );
}

#[test]
fn prototype_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { exit(); }",
            "D_PROTO_LEN",
            "exit( ) prototype mismatch: 0 args passed, 1 expected",
        ),
        (
            "BEGIN { @a = count(1); }",
            "D_PROTO_LEN",
            "count( ) prototype mismatch: 1 arg passed, 0 expected",
        ),
        (
            "BEGIN { @a = quantize(); }",
            "D_PROTO_LEN",
            "quantize( ) prototype mismatch: 0 args passed, 1 expected",
        ),
        (
            "BEGIN { @a = lquantize(1, 2); }",
            "D_PROTO_LEN",
            "lquantize( ) prototype mismatch: 2 args passed, 3 expected",
        ),
        (
            "BEGIN { x = substr(\"x\"); }",
            "D_PROTO_LEN",
            "substr( ) prototype mismatch: 1 arg passed, at least 2 expected",
        ),
        (
            "BEGIN { x = substr(\"x\", 1, 2, 3); }",
            "D_PROTO_LEN",
            "substr( ) prototype mismatch: 4 args passed, at least 2 expected",
        ),
        (
            "BEGIN { exit(\"str\"); }",
            "D_PROTO_ARG",
            "exit( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: string",
        ),
        (
            "BEGIN { x = strlen(1); }",
            "D_PROTO_ARG",
            "strlen( ) argument #1 is incompatible with prototype:\n\tprototype: const char *\n\t argument: int",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(error(src), (t.to_string(), m.to_string()), "{src}");
    }
    // A literal zero is every pointer.
    assert!(check_src("BEGIN { x = strlen(0); }").is_ok());
}

#[test]
fn aggregation_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { @a = 1; }",
            "D_AGG_FUNC",
            "@a must be assigned the result of an aggregating function",
        ),
        (
            "BEGIN { @a = sum(\"x\"); }",
            "D_AGG_SCALAR",
            "sum( ) argument #1 must be of scalar type",
        ),
        (
            "BEGIN { @a[1][2] = count(); }",
            "D_AGG_MDIM",
            "improper attempt to reference @a as a multi-dimensional array",
        ),
        (
            "BEGIN { @a = count(); @a; }",
            "D_AGG_NULL",
            "expression has null effect: @a",
        ),
        (
            "BEGIN { @a[trace(1)] = count(); }",
            "D_KEY_TYPE",
            "void expression may not be used as aggregation index: key #1",
        ),
        (
            "BEGIN { x = count(); }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"scalar\" = \"aggregating function\"",
        ),
        (
            "BEGIN { count(); }",
            "D_CG_EXPR",
            "aggregating function count( ) may not be called from a D expression (D program context required)",
        ),
        (
            "BEGIN { @a = lquantize(1, 10, 5, 1); }",
            "D_LQUANT_MISMATCH",
            "lquantize( ) base (argument #1) must be less than limit (argument #2)",
        ),
        (
            "BEGIN { @a = lquantize(1, x, 5); }",
            "D_IDENT_UNDEF",
            "failed to resolve x: Unknown variable name",
        ),
        (
            "BEGIN { y = 1; @a = lquantize(1, y, 5); }",
            "D_LQUANT_BASETYPE",
            "lquantize( ) argument #1 must be an integer constant",
        ),
        (
            "BEGIN { @a = lquantize(1, 0, 10, 20); }",
            "D_LQUANT_STEPLARGE",
            "lquantize( ) step (argument #3) too large: must have at least one quantization level",
        ),
        (
            "BEGIN { @a = lquantize(1, 0, 10, 1); @a = lquantize(1, 1, 10, 1); }",
            "D_LQUANT_MATCHBASE",
            "lquantize( ) base (argument #1) doesn't match previous declaration: expected 0, found 1",
        ),
        (
            "BEGIN { @a = llquantize(1, 1, 0, 2, 20); }",
            "D_LLQUANT_FACTORSMALL",
            "llquantize( ) factor (argument #1) must be two or more",
        ),
        (
            "BEGIN { @a = quantize(1, 2, 3); }",
            "D_PROTO_LEN",
            "quantize( ) prototype mismatch: 3 args passed, at most 2 expected",
        ),
        (
            "BEGIN { printa(1); }",
            "D_PRINTA_AGGARG",
            "printa( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: int",
        ),
        (
            "BEGIN { clear(); }",
            "D_CLEAR_PROTO",
            "clear( ) prototype mismatch: 0 args passed, 1 expected",
        ),
        (
            "BEGIN { printa(@nope); }",
            "D_IDENT_UNDEF",
            "failed to resolve @nope: Unknown variable name",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(error(src), (t.to_string(), m.to_string()), "{src}");
    }
    assert_eq!(
        error("BEGIN {\n@a = count();\n@a = sum(1); }"),
        (
            "D_AGG_REDEF".into(),
            "aggregation redefined: @a\n\t current: @a = sum( )\n\tprevious: @a = count( ) : line 2".into()
        )
    );
}

#[test]
fn action_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { trace(exit(0)); }",
            "D_TRACE_VOID",
            "trace( ) may not be applied to a void expression",
        ),
        (
            "BEGIN { @a = count(); trace(@a); }",
            "D_TRACE_AGG",
            "trace( ) may not be applied to an aggregation",
        ),
        (
            "BEGIN { x = trace(1); }",
            "D_OP_INCOMPAT",
            "operands have incompatible types: \"void\" = \"void\"",
        ),
        (
            "BEGIN { (void)trace(1); }",
            "D_CG_EXPR",
            "tracing function trace( ) may not be called from a D expression (D program context required)",
        ),
        (
            "BEGIN { x = \"fmt\"; printf(x); }",
            "D_PRINTF_ARG_FMT",
            "printf( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: string",
        ),
        (
            "BEGIN { stack(0); }",
            "D_STACK_SIZE",
            "stack( ) size must be a non-zero positive integral constant expression",
        ),
        (
            "BEGIN { ustack(-1); }",
            "D_USTACK_FRAMES",
            "ustack( ) argument #1 must be a non-zero positive integer constant",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(error(src), (t.to_string(), m.to_string()), "{src}");
    }
}

#[test]
fn predicates_must_be_scalar() {
    assert_eq!(
        error("BEGIN /execname/ { exit(0); }"),
        (
            "D_PRED_SCALAR".into(),
            "predicate result must be of scalar type".into()
        )
    );
    assert_eq!(tag("BEGIN /trace(1)/ { exit(0); }"), "D_PRED_SCALAR");
    // Type errors in the predicate come before the scalar check.
    assert_eq!(tag("BEGIN /\"abc\" == 1/ { exit(0); }"), "D_OP_INCOMPAT");
    // A predicate may create what the actions use.
    assert!(check_src("BEGIN /x++/ { trace(x); }").is_ok());
}

#[test]
fn declaration_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "int x; char x;",
            "D_DECL_IDRED",
            "identifier redeclared: x\n\t current: scalar char\n\tprevious: scalar int",
        ),
        (
            "int pid;",
            "D_DECL_IDRED",
            "built-in identifier redeclared: pid",
        ),
        ("void v;", "D_DECL_VOIDOBJ", "cannot have void object: v"),
        (
            "struct nosuch s;",
            "D_DECL_INCOMPLETE",
            "incomplete struct/union/enum struct nosuch: s",
        ),
        ("int;", "D_DECL_USELESS", "useless declaration"),
        (
            "this int a[int];",
            "D_DECL_LOCASSC",
            "associative arrays may not be declared as local variables: a",
        ),
        (
            "static int s;",
            "D_DECL_BADCLASS",
            "specified storage class not appropriate in D",
        ),
    ];
    for (src, t, m) in cases {
        assert_eq!(
            error(&format!("{src} BEGIN {{ exit(0); }}")),
            (t.to_string(), m.to_string()),
            "{src}"
        );
    }
    // Parse-time errors in a later clause win over type errors in an
    // earlier one.
    assert_eq!(
        tag("BEGIN { x = \"a\" * 1; } BEGIN { nosuch(); }"),
        "D_FUNC_UNDEF"
    );
}

#[test]
fn regions_follow_the_phase_of_the_error() {
    let d = check_src("BEGIN { x = \"a\" * 2; }").expect_err("type error");
    assert_eq!(d.region, Some("action list"));
    let d = check_src("BEGIN /\"a\" * 2/ { exit(0); }").expect_err("type error");
    assert_eq!(d.region, Some("predicate"));
    for src in [
        "BEGIN { printf(\"%d\", \"a\"); }",
        "BEGIN { @a = lquantize(1, 10, 5); }",
        "BEGIN { trace(exit(0)); }",
        "BEGIN { count(); }",
        "BEGIN { @a = quantize(1, 2, 3); }",
    ] {
        let d = check_src(src).expect_err(src);
        assert_eq!(d.region, None, "{src}");
    }
}
