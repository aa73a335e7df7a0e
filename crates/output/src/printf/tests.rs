use super::*;
use crate::aggfunc::Lquantize;
use crate::context::NoSymbols;
use crate::context::test_support::FakeSymbols;
use crate::value::Stack;

fn fmt(format: &str, args: &[Value]) -> String {
    fmt_with(format, args, &FakeSymbols)
}

fn fmt1(format: &str, value: &Value) -> String {
    fmt(format, std::slice::from_ref(value))
}

fn fmt_with(format: &str, args: &[Value], ctx: &dyn FormatContext) -> String {
    let parsed = parse_format(format.as_bytes()).expect("format parses");
    let mut out = Vec::new();
    super::format(&parsed, args, &mut out, ctx).expect("formats");
    String::from_utf8(out).expect("utf-8 output")
}

fn parse_error(format: &str) -> String {
    parse_format(format.as_bytes()).unwrap_err().to_string()
}

#[test]
fn parses_pieces_and_numbers_conversions() {
    let f = parse_format(b"a%db%%c%5.2sx").unwrap();
    let convs: Vec<_> = f.conversions().collect();
    assert_eq!(convs.len(), 3);
    assert_eq!(
        convs
            .iter()
            .map(|c| (c.number(), c.name()))
            .collect::<Vec<_>>(),
        vec![(1, "d"), (2, "%"), (3, "s")]
    );
    assert_eq!(convs[2].width(), 5);
    assert_eq!(convs[2].precision(), 2);
    let f = parse_format(b"%-*.*lld %@x %?p").unwrap();
    let c: Vec<_> = f.conversions().collect();
    assert!(c[0].flags().left && c[0].dynamic_width() && c[0].dynamic_precision());
    assert_eq!(c[0].name(), "lld");
    assert_eq!(c[0].argument_count(), 3);
    assert!(c[1].is_aggregation());
    assert_eq!(c[1].argument_count(), 0);
    assert_eq!(c[2].width(), 16);
    assert!(parse_format(b"").unwrap().is_empty());
    // The format ends at an embedded NUL, as a C string would.
    assert_eq!(parse_format(b"ab\0%q").unwrap().text(), b"ab");
}

#[test]
fn zero_and_minus_cancel_each_other() {
    let f = parse_format(b"%-05d %0-5d").unwrap();
    let c: Vec<_> = f.conversions().collect();
    assert!(c[0].flags().zero_pad && !c[0].flags().left);
    assert!(c[1].flags().left && !c[1].flags().zero_pad);
    assert_eq!(
        fmt("[%-05d][%0-5d]", &[Value::int(7), Value::int(7)]),
        "[00007][7    ]"
    );
}

#[test]
fn parse_errors_carry_dtrace_messages() {
    let cases = [
        (
            "%**d",
            "format conversion #1 has more than one '*' specified for the output precision",
        ),
        (
            "%d %.**d",
            "format conversion #2 has more than one '*' specified for the output precision",
        ),
        (
            "%1.2.3d",
            "format conversion #1 has more than one '.' specified",
        ),
        (
            "%1$d",
            "format conversion #1 uses unsupported positional format (%n$)",
        ),
        (
            "%%%5%",
            "format conversion #2 cannot be combined with other format flags: %%",
        ),
        (
            "abc %-",
            "format conversion #1 name expected before end of format string",
        ),
        ("%lf", "format conversion #1 is undefined: %lf"),
        ("%hhd", "format conversion #1 is undefined: %hhd"),
        ("%d %zu", "format conversion #2 is undefined: %z"),
        ("%q", "format conversion #1 is undefined: %q"),
    ];
    for (format, message) in cases {
        assert_eq!(parse_error(format), message, "{format}");
    }
    assert_eq!(parse_format(b"%q").unwrap_err().tag(), "D_SYNTAX");
}

fn int_type(
    name: &'static str,
    resolved: &'static str,
    size: u8,
    signed: bool,
) -> ArgType<'static> {
    ArgType {
        name,
        class: ArgClass::Integer { size, signed },
        resolved_name: resolved,
        typedef_chain: &[],
    }
}

const INT: ArgType<'static> = ArgType {
    name: "int",
    class: ArgClass::Integer {
        size: 4,
        signed: true,
    },
    resolved_name: "int",
    typedef_chain: &[],
};

const STRING: ArgType<'static> = ArgType {
    name: "string",
    class: ArgClass::String,
    resolved_name: "string",
    typedef_chain: &[],
};

fn check(format: &str, args: &[ArgType<'_>]) -> Result<usize, ValidateError> {
    let f = parse_format(format.as_bytes()).unwrap();
    validate(&f, "printf", FormatUse::Printf, args, 1, false)
}

#[test]
fn validation_messages() {
    let e = check("%d\\n", &[STRING]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_ARG_TYPE");
    assert_eq!(
        e.to_string(),
        "printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: string"
    );
    let e = check("hello", &[INT]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_ARG_EXTRA");
    assert_eq!(
        e.to_string(),
        "printf( ) prototype mismatch: only 0 arguments required by this format string"
    );
    let e = check("%d %s", &[INT]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_ARG_PROTO");
    assert_eq!(
        e.to_string(),
        "printf( ) prototype mismatch: conversion #2 (%s) is missing a corresponding value argument"
    );
    let e = check("%*d", &[]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_DYN_PROTO");
    assert_eq!(
        e.to_string(),
        "printf( ) prototype mismatch: conversion #1 (%d) is missing a corresponding \"*\" argument"
    );
    let e = check("%.*s", &[STRING, STRING]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_DYN_TYPE");
    assert_eq!(
        e.to_string(),
        "printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: % .* s\n\t prototype: int\n\t  argument: string"
    );
    let e = check("%@d", &[]).unwrap_err();
    assert_eq!(e.tag(), "D_PRINTF_AGG_CONV");
    assert_eq!(
        e.to_string(),
        "%@ conversion requires an aggregation and is not for use with printf( )"
    );
    let e = check("", &[]).unwrap_err();
    assert_eq!(e.to_string(), "printf( ) format string is empty");
    assert_eq!(e.tag(), "D_PRINTF_FMT_EMPTY");
    assert_eq!(check("%*.*d %% %s", &[INT, INT, INT, STRING]), Ok(4));
}

#[test]
fn validation_type_rules() {
    let uint64 = ArgType {
        name: "uint64_t",
        class: ArgClass::Integer {
            size: 8,
            signed: false,
        },
        resolved_name: "unsigned long",
        typedef_chain: &["uint64_t"],
    };
    let long_long = int_type("long long", "long long", 8, true);
    let short = int_type("short", "short", 2, true);
    let char_ptr = ArgType {
        name: "char *",
        class: ArgClass::Pointer,
        resolved_name: "char *",
        typedef_chain: &[],
    };
    let ok = |format: &str, arg: ArgType<'_>| check(format, &[arg]).is_ok();
    assert!(ok("%d", uint64));
    assert!(ok("%llx", uint64));
    assert!(ok("%lx", uint64));
    assert!(ok("%lu", uint64));
    assert!(!ok("%llu", uint64));
    assert!(ok("%lld", long_long));
    assert!(!ok("%ld", long_long));
    assert!(ok("%hd", short));
    assert!(ok("%hx", short));
    assert!(!ok("%hd", INT));
    assert!(ok("%c", INT));
    assert!(!ok("%c", uint64));
    assert!(ok("%Y", uint64));
    assert!(!ok("%Y", INT));
    assert!(ok("%p", char_ptr));
    assert!(ok("%a", char_ptr));
    assert!(!ok("%s", char_ptr));
    assert!(ok("%s", STRING));
    assert!(!ok("%f", INT));
    // %A needs $target for plain integers.
    let f = parse_format(b"%A").unwrap();
    assert!(validate(&f, "printf", FormatUse::Printf, &[INT], 1, false).is_err());
    assert!(validate(&f, "printf", FormatUse::Printf, &[INT], 1, true).is_ok());
}

#[test]
fn printa_validation_uses_the_aggregation_type() {
    let f = parse_format(b"%s %@d").unwrap();
    let keys = [STRING];
    assert_eq!(
        validate(
            &f,
            "printa",
            FormatUse::Printa { count: true },
            &keys,
            1,
            false
        ),
        Ok(1)
    );
    let f = parse_format(b"%@s").unwrap();
    let e = validate(
        &f,
        "printa",
        FormatUse::Printa { count: false },
        &[],
        1,
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "printa( ) aggregating action is incompatible with conversion #1 prototype:\n\tconversion: %s\n\t prototype: char [] or string (or use stringof)\n\t  argument: int64_t"
    );
    // printa may leave keys unused.
    let f = parse_format(b"%@d\n").unwrap();
    assert!(
        validate(
            &f,
            "printa",
            FormatUse::Printa { count: false },
            &keys,
            1,
            false
        )
        .is_ok()
    );
}

#[test]
fn integers_follow_record_size_and_signedness() {
    let char_minus_one = Value::signed(-1, 1);
    let short_minus_one = Value::signed(-1, 2);
    let int_minus_one = Value::int(-1);
    let uint_max = Value::unsigned(u32::MAX as u64, 4);
    assert_eq!(fmt1("%d", &char_minus_one), "255");
    assert_eq!(fmt1("%i", &char_minus_one), "-1");
    assert_eq!(fmt1("%d", &short_minus_one), "65535");
    assert_eq!(fmt("%hd", &[short_minus_one]), "-1");
    assert_eq!(fmt1("%d", &int_minus_one), "-1");
    assert_eq!(fmt1("%u", &int_minus_one), "4294967295");
    assert_eq!(fmt1("%x", &int_minus_one), "ffffffff");
    assert_eq!(fmt1("%x", &char_minus_one), "ff");
    assert_eq!(fmt("%d", &[uint_max]), "4294967295");
    assert_eq!(fmt("%d", &[Value::i64(-1)]), "-1");
    assert_eq!(fmt("%d", &[Value::u64(u64::MAX)]), "18446744073709551615");
    assert_eq!(fmt("%x", &[Value::i64(-1)]), "ffffffffffffffff");
    assert_eq!(fmt("%o", &[Value::int(8)]), "10");
    assert_eq!(fmt("%X", &[Value::int(0xabc)]), "ABC");
    assert_eq!(fmt("%c%c", &[Value::int(65), Value::signed(66, 1)]), "AB");
    assert_eq!(fmt("%3c|", &[Value::int(65)]), "  A|");
    assert_eq!(fmt("%lc", &[Value::int(97)]), "a");
}

#[test]
fn pointers_are_plain_hex() {
    let p = Value::u64(0xffff_8000_1234_abcd);
    assert_eq!(fmt1("%p", &p), "ffff80001234abcd");
    assert_eq!(fmt1("%#p", &p), "0xffff80001234abcd");
    assert_eq!(fmt("%?p|", &[Value::u64(0x10)]), "              10|");
}

#[test]
fn strings() {
    let s = Value::string("hello");
    assert_eq!(fmt1("[%s]", &s), "[hello]");
    assert_eq!(fmt1("[%10s]", &s), "[     hello]");
    assert_eq!(fmt1("[%-10s]", &s), "[hello     ]");
    assert_eq!(fmt1("[%.3s]", &s), "[hel]");
    assert_eq!(fmt1("[%.0s]", &s), "[hello]");
    assert_eq!(fmt1("[%-8.2s]", &s), "[he      ]");
    assert_eq!(fmt("[%.*s]", &[Value::int(2), s.clone()]), "[he]");
    // A record without NUL is used whole.
    assert_eq!(fmt("%s", &[Value::Bytes(b"abc".to_vec())]), "abc");
    // Text after the NUL is ignored.
    assert_eq!(fmt("%s", &[Value::Bytes(b"ab\0cd".to_vec())]), "ab");
}

#[test]
fn escaped_strings_and_chars() {
    let s = Value::string("a\tb\"\\\x01");
    assert_eq!(fmt("%S", &[s]), r#"a\tb\"\\\001\0"#);
    assert_eq!(fmt("%S", &[Value::Bytes(b"xyz".to_vec())]), "xyz");
    assert_eq!(
        fmt(
            "%C%C%C",
            &[Value::int(10), Value::int(65), Value::signed(-1, 1)]
        ),
        r"\nA\377"
    );
    assert_eq!(fmt("[%4C]", &[Value::int(0)]), r"[  \0]");
}

#[test]
fn dynamic_width_and_precision() {
    assert_eq!(fmt("[%*d]", &[Value::int(5), Value::int(42)]), "[   42]");
    assert_eq!(fmt("[%*d]", &[Value::int(-5), Value::int(42)]), "[42   ]");
    assert_eq!(fmt("[%0*d]", &[Value::int(-5), Value::int(42)]), "[42   ]");
    assert_eq!(fmt("[%.*d]", &[Value::int(4), Value::int(42)]), "[0042]");
    assert_eq!(fmt("[%.*d]", &[Value::int(-4), Value::int(42)]), "[42]");
    assert_eq!(fmt("[%.*d]", &[Value::int(0), Value::int(0)]), "[0]");
    assert_eq!(
        fmt(
            "[%*.*s]",
            &[Value::i64(6), Value::signed(2, 1), Value::string("abc")]
        ),
        "[    ab]"
    );
}

#[test]
fn percent_and_literals() {
    assert_eq!(fmt("100%% sure\n", &[]), "100% sure\n");
    assert_eq!(fmt("no conversions", &[]), "no conversions");
    assert_eq!(fmt("", &[]), "");
}

#[test]
fn addresses_and_stacks() {
    assert_eq!(fmt("%a", &[Value::u64(0x1104)]), "genunix`bar+0x4");
    assert_eq!(fmt("%a", &[Value::KernelSym(0x1000)]), "genunix`foo");
    assert_eq!(
        fmt("[%20a]", &[Value::u64(0x1000)]),
        "[         genunix`foo]"
    );
    assert_eq!(fmt("%a", &[Value::KernelMod(0x1104)]), "genunix");
    assert_eq!(fmt("%a", &[Value::u64(0xdead)]), "0xdead");
    assert_eq!(fmt("%A", &[Value::u64(0x4010)]), "libc.so.1`malloc+0x10");
    assert_eq!(
        fmt(
            "%A",
            &[Value::UserSym {
                pid: 7,
                addr: 0x4000
            }]
        ),
        "libc.so.1`malloc"
    );
    assert_eq!(
        fmt(
            "%A",
            &[Value::UserMod {
                pid: 7,
                addr: 0x4000
            }]
        ),
        "libc.so.1"
    );
    assert_eq!(fmt_with("%a", &[Value::u64(0x1104)], &NoSymbols), "0x1104");
    let stack = Value::Stack(Stack {
        pid: None,
        frames: vec![0x1000, 0x1104, 0],
    });
    assert_eq!(fmt1("%k", &stack), "\ngenunix`foo\ngenunix`bar+0x4\n");
    assert_eq!(
        fmt1("%-4k", &stack),
        "\n    genunix`foo\n    genunix`bar+0x4\n"
    );
    assert_eq!(
        fmt("%*k", &[Value::int(-2), stack.clone()]),
        "\n  genunix`foo\n  genunix`bar+0x4\n"
    );
    assert_eq!(fmt("%14k", &[stack]), "\n   genunix`foo\ngenunix`bar+0x4\n");
}

#[test]
fn wall_clock_times() {
    // 2024-10-11 12:00:00.5 UTC in nanoseconds.
    let t = Value::i64(1_728_648_000_500_000_000);
    assert_eq!(fmt1("%Y", &t), "2024 Oct 11 12:00:00");
    assert_eq!(fmt1("[%22Y]", &t), "[  2024 Oct 11 12:00:00]");
    assert_eq!(fmt("%T", &[t]), "Fri, 11 Oct 2024 12:00:00 UTC");
}

#[test]
fn ports_and_hosts_fall_back_to_numbers() {
    assert_eq!(fmt("%P", &[Value::unsigned(80, 2)]), "80");
    assert_eq!(fmt("%I", &[Value::string("10.0.0.1")]), "10.0.0.1");
}

#[test]
fn floats() {
    let d = |v: f64| Value::Float { value: v, size: 8 };
    assert_eq!(fmt("%f", &[d(1.5)]), "1.500000");
    assert_eq!(fmt("%.2e", &[d(12345.678)]), "1.23e+04");
    assert_eq!(fmt("%g", &[d(0.0001)]), "0.0001");
    assert_eq!(
        fmt(
            "%Lf",
            &[Value::Float {
                value: 2.0,
                size: 16
            }]
        ),
        "2.000000"
    );
    assert_eq!(
        fmt(
            "%f",
            &[Value::Float {
                value: 0.25,
                size: 4
            }]
        ),
        "0.250000"
    );
}

#[test]
fn missing_arguments_are_runtime_errors() {
    let f = parse_format(b"%d %d").unwrap();
    let mut out = Vec::new();
    assert_eq!(
        super::format(&f, &[Value::int(1)], &mut out, &NoSymbols),
        Err(RuntimeError::Mismatch)
    );
    let f = parse_format(b"%s").unwrap();
    assert_eq!(
        super::format(&f, &[Value::int(1)], &mut out, &NoSymbols),
        Err(RuntimeError::Mismatch)
    );
    assert_eq!(
        RuntimeError::Mismatch.to_string(),
        "Data record list does not match statement"
    );
}

#[test]
fn aggregation_values_through_conversions() {
    let f = parse_format(b"%s %@d|%@x|%@u\n").unwrap();
    let count = AggFunc::Count;
    let sum = AggFunc::Sum;
    let data_c = [5i64];
    let data_s = [-2i64];
    let aggs = [
        AggDatum {
            func: &count,
            data: &[],
            normal: 1,
        },
        AggDatum {
            func: &count,
            data: &data_c,
            normal: 1,
        },
        AggDatum {
            func: &sum,
            data: &data_s,
            normal: 1,
        },
    ];
    let mut out = Vec::new();
    let used = format_records(
        &f,
        &[Value::string("k")],
        &aggs,
        HistogramStyle::default(),
        &mut out,
        &NoSymbols,
    )
    .unwrap();
    assert_eq!(used, 1);
    // The third %@ reuses the last aggregation.
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "k 5|fffffffffffffffe|18446744073709551614\n"
    );

    let avg = AggFunc::Avg;
    let data = [4i64, 10];
    let one = [AggDatum {
        func: &avg,
        data: &data,
        normal: 1,
    }];
    let f = parse_format(b"[%@8d]").unwrap();
    let mut out = Vec::new();
    format_records(
        &f,
        &[],
        &one,
        HistogramStyle::default(),
        &mut out,
        &NoSymbols,
    )
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "[       2]");

    // Histograms ignore the conversion.
    let lq = AggFunc::Lquantize(Lquantize::new(0, 2, 1).unwrap());
    let data = [0i64, 1, 0, 0];
    let one = [AggDatum {
        func: &lq,
        data: &data,
        normal: 1,
    }];
    let f = parse_format(b"%@d").unwrap();
    let mut out = Vec::new();
    format_records(
        &f,
        &[],
        &one,
        HistogramStyle::default(),
        &mut out,
        &NoSymbols,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(
            "\n           value  ------------- Distribution ------------- count    \n"
        )
    );
}

/// Arbitrary format strings and arguments never panic.
#[test]
fn arbitrary_input_does_not_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"%%%%-+ #0123456789.*?@'$hlLwdiuoxXcsSCpaAkYTeEfgGIPq\0ab\n";
    let values = [
        Value::int(-7),
        Value::i64(i64::MIN),
        Value::signed(-1, 1),
        Value::string("x"),
        Value::Bytes(vec![]),
        Value::Float {
            value: -0.5,
            size: 8,
        },
        Value::KernelSym(0x1104),
        Value::UserMod { pid: 7, addr: 1 },
        Value::Stack(Stack {
            pid: Some(7),
            frames: vec![0x4001],
        }),
    ];
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let text: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let Ok(parsed) = parse_format(&text) else {
            continue;
        };
        let args: Vec<Value> = (0..(next() % 5))
            .map(|_| values[(next() % values.len() as u64) as usize].clone())
            .collect();
        let mut out = Vec::new();
        let _ = super::format(&parsed, &args, &mut out, &FakeSymbols);
    }
}

mod libc_oracle {
    //! The engine against the C library's `snprintf`, over many formats and values.

    use super::*;
    use std::ffi::CString;

    #[derive(Clone, Copy, Debug)]
    enum CArg<'a> {
        Int(libc::c_int),
        UInt(libc::c_uint),
        LongLong(libc::c_longlong),
        Double(f64),
        Str(&'a CString),
    }

    fn snprintf(format: &str, arg: CArg<'_>) -> String {
        let c_format = CString::new(format).unwrap();
        let mut buf = vec![0u8; 4096];
        // SAFETY: `buf` is writable for its whole length, which is passed as the size, so
        // snprintf cannot write past it; `c_format` is a NUL-terminated string; each format
        // built by these tests contains exactly one conversion whose type matches the one
        // variadic argument passed with it; `Str` arguments point to live NUL-terminated
        // strings.
        let n = unsafe {
            let out = buf.as_mut_ptr().cast::<libc::c_char>();
            match arg {
                CArg::Int(v) => libc::snprintf(out, buf.len(), c_format.as_ptr(), v),
                CArg::UInt(v) => libc::snprintf(out, buf.len(), c_format.as_ptr(), v),
                CArg::LongLong(v) => libc::snprintf(out, buf.len(), c_format.as_ptr(), v),
                CArg::Double(v) => libc::snprintf(out, buf.len(), c_format.as_ptr(), v),
                CArg::Str(s) => libc::snprintf(out, buf.len(), c_format.as_ptr(), s.as_ptr()),
            }
        };
        assert!(
            n >= 0 && (n as usize) < buf.len(),
            "snprintf({format}) failed"
        );
        buf.truncate(n as usize);
        String::from_utf8(buf).unwrap()
    }

    const FLAGS: &[&str] = &[
        "", "-", "0", "+", " ", "#", "-+", "0+", "#0", "- ", "+ ", "#-",
    ];
    const WIDTHS: &[&str] = &["", "1", "5", "12", "25"];
    const PRECISIONS: &[&str] = &["", ".1", ".3", ".10", ".0"];

    /// The flags in the order illumos writes them into the C format.
    fn c_flags(flags: &str) -> String {
        "#0-+ ".chars().filter(|c| flags.contains(*c)).collect()
    }

    fn c_precision(precision: &str) -> &str {
        if precision == ".0" { "" } else { precision }
    }

    #[test]
    fn integers() {
        let values: &[i64] = &[
            0,
            1,
            -1,
            7,
            127,
            -128,
            255,
            32767,
            -32768,
            65535,
            123_456_789,
            i32::MAX as i64,
            i32::MIN as i64,
            u32::MAX as i64,
            i64::MAX,
            i64::MIN,
        ];
        let mut checked = 0;
        for &conv in &["d", "i", "u", "o", "x", "X"] {
            for &size in &[1u8, 2, 4, 8] {
                for &signed in &[true, false] {
                    for &raw in values {
                        let value = if signed {
                            Value::signed(raw, size)
                        } else {
                            Value::unsigned(raw as u64, size)
                        };
                        let (bits, _) = value.raw_integer().unwrap();
                        let wide = size == 8;
                        // How illumos hands the record to printf.
                        let (letter, arg) = match conv {
                            "d" => {
                                let letter = if signed { "i" } else { "u" };
                                let arg = if wide {
                                    CArg::LongLong(bits as i64)
                                } else {
                                    CArg::UInt(bits as u32)
                                };
                                (letter, arg)
                            }
                            "i" => {
                                let v = sign_extend(bits, usize::from(size));
                                let arg = if wide {
                                    CArg::LongLong(v)
                                } else {
                                    CArg::Int(v as i32)
                                };
                                ("i", arg)
                            }
                            other => {
                                let arg = if wide {
                                    CArg::LongLong(bits as i64)
                                } else {
                                    CArg::UInt(bits as u32)
                                };
                                (other, arg)
                            }
                        };
                        for flags in FLAGS {
                            for width in WIDTHS {
                                for precision in PRECISIONS {
                                    let d_format = format!("%{flags}{width}{precision}{conv}");
                                    let c_format = format!(
                                        "%{}{width}{}{}{letter}",
                                        c_flags(flags),
                                        c_precision(precision),
                                        if wide { "ll" } else { "" }
                                    );
                                    let expected = snprintf(&c_format, arg);
                                    let got = fmt_with(
                                        &d_format,
                                        std::slice::from_ref(&value),
                                        &NoSymbols,
                                    );
                                    assert_eq!(got, expected, "{d_format} of {value:?}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 50_000);
    }

    #[test]
    fn characters() {
        for &v in &[65i32, 97, 32, 126, 0x141] {
            for flags in FLAGS {
                for width in WIDTHS {
                    let d_format = format!("%{flags}{width}c");
                    let c_format = format!("%{}{width}c", c_flags(flags));
                    assert_eq!(
                        fmt_with(&d_format, &[Value::int(v)], &NoSymbols),
                        snprintf(&c_format, CArg::Int(v)),
                        "{d_format}"
                    );
                }
            }
        }
    }

    #[test]
    fn strings() {
        let texts = ["", "a", "hello", "hello world, a longer string"];
        for text in texts {
            let c_text = CString::new(text).unwrap();
            for flags in FLAGS {
                for width in WIDTHS {
                    for precision in PRECISIONS {
                        let d_format = format!("%{flags}{width}{precision}s");
                        let c_format =
                            format!("%{}{width}{}s", c_flags(flags), c_precision(precision));
                        assert_eq!(
                            fmt_with(&d_format, &[Value::string(text)], &NoSymbols),
                            snprintf(&c_format, CArg::Str(&c_text)),
                            "{d_format} of {text:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn floats() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            0.25,
            0.35,
            2.5,
            0.5,
            1.5,
            1e-5,
            9.999999,
            99.99999,
            123_456.789,
            1234.5678,
            1e20,
            1e300,
            5e-324,
            -2.5e-7,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for &v in &values {
            for conv in ["e", "E", "f", "g", "G"] {
                for flags in FLAGS {
                    for width in WIDTHS {
                        for precision in PRECISIONS {
                            let d_format = format!("%{flags}{width}{precision}{conv}");
                            let c_format = format!(
                                "%{}{width}{}{conv}",
                                c_flags(flags),
                                c_precision(precision)
                            );
                            let value = Value::Float { value: v, size: 8 };
                            assert_eq!(
                                fmt_with(&d_format, &[value], &NoSymbols),
                                snprintf(&c_format, CArg::Double(v)),
                                "{d_format} of {v:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn float_precision_zero_in_the_core() {
        // DTrace never passes a zero precision, but the core implements it like C.
        for &v in &[0.5, 1.5, 2.5, 0.0, 123.456, 1e-10, 9.5] {
            for (conv, alt) in [
                (b'f', false),
                (b'f', true),
                (b'e', false),
                (b'e', true),
                (b'g', false),
                (b'g', true),
            ] {
                let spec = Spec {
                    alt,
                    precision: Some(0),
                    ..Spec::default()
                };
                let mut out = Vec::new();
                cfmt::float(&mut out, &spec, v, conv);
                let c_format = format!("%{}.0{}", if alt { "#" } else { "" }, conv as char);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    snprintf(&c_format, CArg::Double(v)),
                    "{c_format} of {v}"
                );
            }
        }
    }

    #[test]
    fn integer_precision_zero_in_the_core() {
        let spec = Spec {
            precision: Some(0),
            ..Spec::default()
        };
        let mut out = Vec::new();
        cfmt::signed(&mut out, &spec, 0);
        cfmt::unsigned(&mut out, &Spec { alt: true, ..spec }, 0, b'o');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            snprintf("%.0d", CArg::Int(0)) + &snprintf("%#.0o", CArg::UInt(0))
        );
    }
}
