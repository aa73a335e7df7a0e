//! C escape sequences for `%S` and `%C`.
//!
//! The bytes are rewritten so that every special or unprintable byte becomes the C escape that
//! would produce it: `\0 \a \b \f \n \r \t \v \" \\` by name, any other byte outside `!`..`~`
//! (other than the space) as three octal digits (`\033`, `\377`). The conversion stops after the
//! first NUL, which is itself written as `\0`: a D string in a record is NUL-terminated, so
//! `printf("%S", "hi")` prints `hi\0`.

/// Returns `bytes` with special and unprintable characters replaced by their C escapes.
pub fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &byte in bytes {
        let named = match byte {
            0 => Some(b'0'),
            0x07 => Some(b'a'),
            0x08 => Some(b'b'),
            0x0c => Some(b'f'),
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            0x0b => Some(b'v'),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        match named {
            Some(letter) => out.extend_from_slice(&[b'\\', letter]),
            None if byte == b' ' || (b'!'..=b'~').contains(&byte) => out.push(byte),
            None => out.extend_from_slice(&[
                b'\\',
                b'0' + ((byte >> 6) & 3),
                b'0' + ((byte >> 3) & 7),
                b'0' + (byte & 7),
            ]),
        }
        if byte == 0 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_like_c() {
        assert_eq!(escape(b"a b"), b"a b");
        assert_eq!(escape(b"\n\t\"\\"), br#"\n\t\"\\"#);
        assert_eq!(escape(b"\x1b\x7f\xff"), br"\033\177\377");
        assert_eq!(escape(b"\x07\x08\x0b\x0c\r"), br"\a\b\v\f\r");
    }

    #[test]
    fn stops_after_first_nul() {
        assert_eq!(escape(b"hi\0junk"), br"hi\0");
        assert_eq!(escape(b"\0"), br"\0");
    }
}
