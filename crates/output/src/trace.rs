//! `trace()`, `tracemem()` and the other actions that print one record without a format.
//!
//! What is printed depends only on the record, never on the D type:
//!
//! | record | quiet | not quiet |
//! |---|---|---|
//! | 8 bytes | `%lld` | ` %16lld` |
//! | 4 bytes | `%d` | ` %8d` |
//! | 2 bytes | `%d` | ` %5d` |
//! | 1 byte | `%d` | ` %3d` |
//! | other sizes | string or hex dump in −33 columns (see below) | same |
//!
//! Integers are read unsigned at their size and handed to `%d`/`%lld`: 1- and 2-byte values
//! never print negative (`(char)-1` prints `255`), 4- and 8-byte values do (`0xffffffff`
//! prints `-1`). Pointers are 8-byte integers and print in signed decimal.
//!
//! A byte record prints as a string when it is one: two spaces and the text left-justified in
//! 33 columns (the bare text when quiet and NUL-terminated); otherwise as a hex dump.
//!
//! Symbolic records print as `"  %-50s"` (`sym()`, `func()`, `mod()`, `usym()`, `ufunc()`,
//! `uaddr()`, `umod()`), stacks one frame per line after a newline, and `tracemem()` always
//! as a hex dump.

use crate::bytes::{hex_dump, print_bytes};
use crate::cfmt::{self, Spec};
use crate::context::{self, FormatContext};
use crate::stack::{DEFAULT_STACK_INDENT, print_stack};
use crate::value::{Value, sign_extend};

/// Options that change how records print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceOptions {
    /// `-q` / `-x quiet`.
    pub quiet: bool,
    /// `-x rawbytes`: dump every byte record in hex.
    pub raw_bytes: bool,
    /// `-x stackindent` (default 14).
    pub stack_indent: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            quiet: false,
            raw_bytes: false,
            stack_indent: DEFAULT_STACK_INDENT,
        }
    }
}

/// `"  %-50s"`, the column symbolic records print in.
pub(crate) fn symbol_column(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"  ");
    let spec = Spec {
        left: true,
        width: 50,
        ..Spec::default()
    };
    cfmt::string(out, &spec, text.as_bytes());
}

/// Prints a symbolic record or a stack; returns `false` for plain data.
pub(crate) fn print_symbolic(
    out: &mut Vec<u8>,
    value: &Value,
    stack_indent: usize,
    ctx: &dyn FormatContext,
) -> bool {
    match value {
        Value::Stack(stack) => print_stack(out, stack, stack_indent, &Spec::default(), ctx),
        Value::KernelSym(addr) => symbol_column(out, &context::kernel_symbol_name(ctx, *addr)),
        Value::KernelMod(addr) => symbol_column(out, &context::kernel_module_name(ctx, *addr)),
        Value::UserSym { pid, addr } => {
            symbol_column(out, &context::user_symbol_name(ctx, *pid, *addr))
        }
        Value::UserAddr { pid, addr } => {
            symbol_column(out, &context::user_address(ctx, *pid, *addr))
        }
        Value::UserMod { pid, addr } => {
            symbol_column(out, &context::user_module_name(ctx, *pid, *addr))
        }
        _ => return false,
    }
    true
}

/// Prints one `trace()`d record (or any record of an action without a format).
pub fn trace(out: &mut Vec<u8>, value: &Value, options: &TraceOptions, ctx: &dyn FormatContext) {
    if print_symbolic(out, value, options.stack_indent, ctx) {
        return;
    }
    let quiet = options.quiet;
    match value.raw_integer() {
        Some((bits, 8)) => {
            let text = (bits as i64).to_string();
            if quiet {
                out.extend_from_slice(text.as_bytes());
            } else {
                out.extend_from_slice(format!(" {text:>16}").as_bytes());
            }
        }
        Some((bits, size)) => {
            let number = if size == 4 {
                sign_extend(bits, 4)
            } else {
                bits as i64
            };
            let width = match size {
                4 => 8,
                2 => 5,
                _ => 3,
            };
            if quiet {
                out.extend_from_slice(number.to_string().as_bytes());
            } else {
                out.extend_from_slice(format!(" {number:>width$}").as_bytes());
            }
        }
        None => {
            let bytes = match value {
                Value::Bytes(bytes) => bytes.clone(),
                Value::Float { value, size } => {
                    let mut bytes = value.to_le_bytes().to_vec();
                    bytes.resize(usize::from(*size), 0);
                    bytes
                }
                _ => Vec::new(),
            };
            print_bytes(out, &bytes, -33, quiet, options.raw_bytes);
        }
    }
}

/// Prints a `tracemem()` record: always a hex dump of `bytes` (nothing when empty). The caller
/// passes the bytes to show: the dynamic size when one was given and is not larger than the
/// record, the whole record otherwise.
pub fn tracemem(out: &mut Vec<u8>, bytes: &[u8]) {
    if !bytes.is_empty() {
        hex_dump(out, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::NoSymbols;
    use crate::context::test_support::FakeSymbols;
    use crate::value::Stack;

    fn run(value: &Value, quiet: bool) -> String {
        let mut out = Vec::new();
        let options = TraceOptions {
            quiet,
            ..TraceOptions::default()
        };
        trace(&mut out, value, &options, &FakeSymbols);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers_by_record_size() {
        let cases = [
            (Value::int(1), "        1", "1"),
            (Value::int(-1), "       -1", "-1"),
            (Value::unsigned(0xffff_ffff, 4), "       -1", "-1"),
            (Value::i64(-5), "               -5", "-5"),
            (Value::u64(u64::MAX), "               -1", "-1"),
            (Value::signed(-1, 2), " 65535", "65535"),
            (Value::signed(-1, 1), " 255", "255"),
            (Value::unsigned(7, 1), "   7", "7"),
            (Value::Bytes(vec![1, 0, 0, 0]), "        1", "1"),
        ];
        for (value, loud, quiet) in cases {
            assert_eq!(run(&value, false), loud, "{value:?}");
            assert_eq!(run(&value, true), quiet, "{value:?}");
        }
    }

    #[test]
    fn strings() {
        let mut record = b"hello".to_vec();
        record.resize(256, 0);
        let value = Value::Bytes(record);
        assert_eq!(run(&value, false), format!("  hello{}", " ".repeat(28)));
        assert_eq!(run(&value, true), "hello");
    }

    #[test]
    fn empty_string_dumps() {
        let out = run(&Value::Bytes(vec![0; 20]), true);
        assert!(out.starts_with("\n             0  1  2"));
        assert!(
            out.ends_with("        10: 00 00 00 00                                      ....\n")
        );
    }

    #[test]
    fn symbolic_records() {
        assert_eq!(
            run(&Value::KernelSym(0x1104), false),
            format!("  genunix`bar{}", " ".repeat(39))
        );
        assert_eq!(
            run(&Value::KernelMod(0x1104), true),
            format!("  genunix{}", " ".repeat(43))
        );
        assert_eq!(
            run(
                &Value::UserSym {
                    pid: 7,
                    addr: 0x4010
                },
                false
            ),
            format!("  libc.so.1`malloc{}", " ".repeat(34))
        );
        assert_eq!(
            run(
                &Value::UserAddr {
                    pid: 7,
                    addr: 0x4010
                },
                false
            ),
            format!("  libc.so.1`malloc+0x10{}", " ".repeat(29))
        );
        assert_eq!(
            run(
                &Value::UserMod {
                    pid: 7,
                    addr: 0x4010
                },
                false
            ),
            format!("  libc.so.1{}", " ".repeat(41))
        );
        let stack = Value::Stack(Stack {
            pid: None,
            frames: vec![0x1000, 0x1104],
        });
        assert_eq!(
            run(&stack, false),
            "\n              genunix`foo\n              genunix`bar+0x4\n"
        );
    }

    #[test]
    fn tracemem_is_always_raw() {
        let mut out = Vec::new();
        tracemem(&mut out, b"abc");
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with("         0: 61 62 63                                         abc\n")
        );
        let mut out = Vec::new();
        tracemem(&mut out, b"");
        assert!(out.is_empty());
        let mut out = Vec::new();
        trace(
            &mut out,
            &Value::Bytes(Vec::new()),
            &TraceOptions::default(),
            &NoSymbols,
        );
        assert!(out.is_empty());
    }
}
