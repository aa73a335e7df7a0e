//! Splitting a probe description into its four fields.
//!
//! A description is scanned as one token (`syscall::read:entry`,
//! `pid$target:libc.so.6:malloc:entry`, `fbt:ext4:*:`) and split on `:`
//! from the right: the last field is the probe name, the one before it the
//! function, and so on, so that `entry` is a name and `read:entry` a
//! function and a name. A command-line specifier that names another field
//! (`-P syscall`, `-m [p:]m`, `-f [[p:]m:]f`) makes the rightmost field that
//! one instead; more fields than remain is "overspecified".
//!
//! Within each field the first `$` starts a macro reference that is replaced
//! by its text: `$N`/`$$N` by argument N (digits after the number are kept:
//! `$1x` is argument 1 followed by `x`), `$name`/`$$name` by the decimal
//! value of a macro variable. Unlike in expressions, `defaultargs` does not
//! apply here: a missing argument is always an error. Fields are checked
//! against DTrace's size limits (provider, module and name 64 bytes,
//! function 128, including the terminating NUL).
//!
//! A numeric probe id (`dtrace -i 42`, or `42` in a script) is represented
//! with its decimal digits as both [`ProbeSpec::text`] and
//! [`ProbeSpec::name`] and empty other fields. A description scanned from
//! text can never consist of digits only (it cannot start with a digit), so
//! "all digits" identifies a probe id unambiguously.

use crate::ast::ProbeSpec;
use crate::macros::Macros;
use crate::source::{Span, SpecKind};

/// Field size limits (`DTRACE_PROVNAMELEN`, `DTRACE_MODNAMELEN`,
/// `DTRACE_FUNCNAMELEN`, `DTRACE_NAMELEN`), indexed provider..name.
const FIELD_LIMITS: [usize; 4] = [64, 64, 128, 64];

/// Why a description could not be split; the text is DTrace's error
/// message for the corresponding `EDT_*`/errno value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DescError {
    Overspecified,
    BadMacro,
    TooLong,
}

impl DescError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            DescError::Overspecified => "Overspecified probe description",
            DescError::BadMacro => "Undefined macro variable in probe description",
            DescError::TooLong => "File name too long",
        }
    }
}

/// Index of the rightmost field for a specifier kind (0 = provider).
fn rightmost_field(kind: SpecKind) -> usize {
    match kind {
        SpecKind::Provider => 0,
        SpecKind::Module => 1,
        SpecKind::Function => 2,
        SpecKind::Name | SpecKind::Id => 3,
    }
}

/// Splits `text` into a [`ProbeSpec`], substituting macro references.
/// `referenced` gets `true` at the index of every argument used.
pub(crate) fn split(
    text: &str,
    kind: SpecKind,
    macros: &Macros,
    referenced: &mut [bool],
    span: Span,
) -> Result<ProbeSpec, DescError> {
    let mut fields: [String; 4] = Default::default();
    // Substituted fields, rightmost first, to rebuild the text.
    let mut written: Vec<String> = Vec::new();
    let mut next_field = Some(rightmost_field(kind));
    let mut end = text.len();
    loop {
        let start = text[..end].rfind(':').map_or(0, |i| i + 1);
        let raw = &text[start..end];
        let value = substitute(raw, macros, referenced)?;
        let Some(field) = next_field else {
            return Err(DescError::Overspecified);
        };
        if value.len() >= FIELD_LIMITS[field] {
            return Err(DescError::TooLong);
        }
        next_field = field.checked_sub(1);
        written.push(value.clone());
        fields[field] = value;
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    written.reverse();
    let [provider, module, function, name] = fields;
    Ok(ProbeSpec {
        text: written.join(":"),
        provider,
        module,
        function,
        name,
        span,
    })
}

/// Replaces the macro reference starting at the first `$` of one field.
fn substitute(field: &str, macros: &Macros, referenced: &mut [bool]) -> Result<String, DescError> {
    let Some(dollar) = field.find('$') else {
        return Ok(field.to_string());
    };
    let prefix = &field[..dollar];
    let mut var = &field[dollar..];
    // `$$x` and `$x` mean the same thing in a description.
    if var.len() > 2 && var.as_bytes().get(1) == Some(&b'$') {
        var = &var[1..];
    }
    let rest = &var[1..];
    let value = if rest.starts_with(|c: char| c.is_ascii_digit()) {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let index: usize = rest[..digits].parse().map_err(|_| DescError::BadMacro)?;
        let arg = macros.args.get(index).ok_or(DescError::BadMacro)?;
        if let Some(r) = referenced.get_mut(index) {
            *r = true;
        }
        return Ok(format!("{prefix}{arg}{}", &rest[digits..]));
    } else if !rest.is_empty() {
        let id = macros.named_value(rest).ok_or(DescError::BadMacro)?;
        (id as i32).to_string()
    } else {
        return Err(DescError::BadMacro);
    };
    Ok(format!("{prefix}{value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn macros() -> Macros {
        let mut m = Macros {
            args: vec!["script.d".into(), "read".into(), "libc.so.6".into()],
            ..Default::default()
        };
        m.named.insert("target".into(), "4321".into());
        m.named.insert("pid".into(), "99".into());
        m
    }

    fn fields(text: &str, kind: SpecKind) -> Result<[String; 5], DescError> {
        let mut refs = vec![false; 3];
        let p = split(text, kind, &macros(), &mut refs, Span::default())?;
        Ok([p.provider, p.module, p.function, p.name, p.text])
    }

    fn f(p: &str, m: &str, fun: &str, n: &str, t: &str) -> [String; 5] {
        [p.into(), m.into(), fun.into(), n.into(), t.into()]
    }

    #[test]
    fn fills_from_the_right() {
        assert_eq!(
            fields("syscall::read:entry", SpecKind::Name),
            Ok(f("syscall", "", "read", "entry", "syscall::read:entry"))
        );
        assert_eq!(
            fields("BEGIN", SpecKind::Name),
            Ok(f("", "", "", "BEGIN", "BEGIN"))
        );
        assert_eq!(
            fields("read:entry", SpecKind::Name),
            Ok(f("", "", "read", "entry", "read:entry"))
        );
        assert_eq!(
            fields("fbt:ext4:*:", SpecKind::Name),
            Ok(f("fbt", "ext4", "*", "", "fbt:ext4:*:"))
        );
        assert_eq!(
            fields("syscall", SpecKind::Provider),
            Ok(f("syscall", "", "", "", "syscall"))
        );
        assert_eq!(
            fields("fbt:ext4", SpecKind::Module),
            Ok(f("fbt", "ext4", "", "", "fbt:ext4"))
        );
        assert_eq!(
            fields("vfs_read", SpecKind::Function),
            Ok(f("", "", "vfs_read", "", "vfs_read"))
        );
    }

    #[test]
    fn overspecified() {
        assert_eq!(
            fields("a:b:c:d:e", SpecKind::Name),
            Err(DescError::Overspecified)
        );
        assert_eq!(
            fields("a:b", SpecKind::Provider),
            Err(DescError::Overspecified)
        );
        assert_eq!(
            fields("a:b:c", SpecKind::Module),
            Err(DescError::Overspecified)
        );
    }

    #[test]
    fn macros_are_substituted() {
        assert_eq!(
            fields("pid$target::malloc:entry", SpecKind::Name),
            Ok(f("pid4321", "", "malloc", "entry", "pid4321::malloc:entry"))
        );
        assert_eq!(
            fields("syscall::$1:entry", SpecKind::Name),
            Ok(f("syscall", "", "read", "entry", "syscall::read:entry"))
        );
        assert_eq!(
            fields("pid$$pid:$$2::x$1y", SpecKind::Name),
            Ok(f(
                "pid99",
                "libc.so.6",
                "",
                "xready",
                "pid99:libc.so.6::xready"
            ))
        );
        assert_eq!(
            fields("syscall::$3:entry", SpecKind::Name),
            Err(DescError::BadMacro)
        );
        assert_eq!(
            fields("syscall::$nope:entry", SpecKind::Name),
            Err(DescError::BadMacro)
        );
        assert_eq!(fields("a$", SpecKind::Name), Err(DescError::BadMacro));
        let mut refs = vec![false; 3];
        split(
            "syscall::$2:entry",
            SpecKind::Name,
            &macros(),
            &mut refs,
            Span::default(),
        )
        .unwrap();
        assert_eq!(refs, [false, false, true]);
    }

    #[test]
    fn length_limits() {
        let long = "x".repeat(64);
        assert_eq!(fields(&long, SpecKind::Name), Err(DescError::TooLong));
        let ok = "x".repeat(63);
        assert!(fields(&ok, SpecKind::Name).is_ok());
        let func = format!("::{}:", "f".repeat(127));
        assert!(fields(&func, SpecKind::Name).is_ok());
        let func = format!("::{}:", "f".repeat(128));
        assert_eq!(fields(&func, SpecKind::Name), Err(DescError::TooLong));
    }
}
