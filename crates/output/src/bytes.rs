//! Byte records: printed as a string when they look like one, as a hex dump otherwise.
//!
//! `trace()` of a string, an array or a struct, and aggregation keys of such types, go through
//! the same decision (`dt_print_bytes` in illumos):
//!
//! 1. A byte is *printable* if it is a printing ASCII character, white space (`\t \n \v \f \r`
//!    and space), backspace or bell.
//! 2. If every byte is printable, the record is a string without terminator: it is printed as
//!    two spaces and the text left-justified in `|width|` columns — in quiet mode too.
//! 3. If the first unprintable byte is a NUL that is not the first byte, and every byte after it
//!    is NUL, the record is a NUL-terminated string: quiet mode prints the text alone; otherwise
//!    a space, then one more space if `width` is negative, then the text in a `width`-column
//!    field (negative = left-justified).
//! 4. Anything else — including an empty string, whose first byte is NUL — is dumped in hex:
//!    a header line of column digits, then 16 bytes per line with their offset, the bytes in
//!    hex and the bytes as characters (`.` for anything outside `' '..='~'`).
//!
//! With `-x rawbytes`, and always for `tracemem()`, step 4 is taken directly.

use crate::cfmt::{self, Spec};

/// Whether `isprint || isspace || '\b' || '\a'` holds in the C locale.
fn printable(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte) || (0x07..=0x0d).contains(&byte)
}

/// Prints `bytes` as a string or a hex dump; `width` is the column count (negative = left).
pub(crate) fn print_bytes(out: &mut Vec<u8>, bytes: &[u8], width: i32, quiet: bool, raw: bool) {
    if bytes.is_empty() {
        return;
    }
    if !raw {
        match bytes.iter().position(|&b| !printable(b)) {
            None => {
                let spec = Spec {
                    left: true,
                    width: width.unsigned_abs() as usize,
                    ..Spec::default()
                };
                out.extend_from_slice(b"  ");
                cfmt::string(out, &spec, bytes);
                return;
            }
            Some(end) if end > 0 && bytes.get(end) == Some(&0) => {
                let rest = bytes.get(end..).unwrap_or(&[]);
                if rest.iter().all(|&b| b == 0) {
                    let text = bytes.get(..end).unwrap_or(&[]);
                    if quiet {
                        out.extend_from_slice(text);
                    } else {
                        out.push(b' ');
                        if width < 0 {
                            out.push(b' ');
                        }
                        let spec = Spec {
                            left: width < 0,
                            width: width.unsigned_abs() as usize,
                            ..Spec::default()
                        };
                        cfmt::string(out, &spec, text);
                    }
                    return;
                }
            }
            Some(_) => {}
        }
    }
    hex_dump(out, bytes);
}

/// The raw dump: a column header, then offset, hex bytes and characters, 16 bytes a line.
pub(crate) fn hex_dump(out: &mut Vec<u8>, bytes: &[u8]) {
    const MARGIN: &str = "     ";
    out.push(b'\n');
    out.extend_from_slice(MARGIN.as_bytes());
    out.extend_from_slice(b"      ");
    for digit in b"0123456789abcdef" {
        out.extend_from_slice(&[b' ', b' ', *digit]);
    }
    out.extend_from_slice(b"  0123456789abcdef\n");
    for (line, chunk) in bytes.chunks(16).enumerate() {
        out.extend_from_slice(format!("{MARGIN}{:5x}:", line * 16).as_bytes());
        for byte in chunk {
            out.extend_from_slice(format!(" {byte:02x}").as_bytes());
        }
        for _ in chunk.len()..16 {
            out.extend_from_slice(b"   ");
        }
        out.extend_from_slice(b"  ");
        for &byte in chunk {
            out.push(if (b' '..=b'~').contains(&byte) {
                byte
            } else {
                b'.'
            });
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(bytes: &[u8], width: i32, quiet: bool, raw: bool) -> String {
        let mut out = Vec::new();
        print_bytes(&mut out, bytes, width, quiet, raw);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn terminated_strings() {
        let mut record = b"hello".to_vec();
        record.resize(32, 0);
        assert_eq!(
            render(&record, -33, false, false),
            format!("  hello{}", " ".repeat(28))
        );
        assert_eq!(render(&record, -33, true, false), "hello");
        assert_eq!(
            render(&record, 16, false, false),
            format!(" {}hello", " ".repeat(11))
        );
    }

    #[test]
    fn unterminated_strings_pad_even_when_quiet() {
        assert_eq!(
            render(b"abcdefghij", -33, true, false),
            format!("  abcdefghij{}", " ".repeat(23))
        );
    }

    #[test]
    fn binary_and_empty_strings_dump() {
        let expected = concat!(
            "\n",
            "             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n",
            "         0: 00 00 00 00                                      ....\n"
        );
        assert_eq!(render(&[0, 0, 0, 0], -33, false, false), expected);
        let expected = concat!(
            "\n",
            "             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n",
            "         0: 68 69 00 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d  hi.ABCDEFGHIJKLM\n",
            "        10: ff 7e                                            .~\n"
        );
        let mut record = b"hi\0ABCDEFGHIJKLM".to_vec();
        record.extend_from_slice(&[0xff, b'~']);
        assert_eq!(render(&record, -33, true, false), expected);
    }

    #[test]
    fn raw_option_forces_dump() {
        assert!(render(b"ok\0", -33, false, true).starts_with("\n      "));
    }
}
