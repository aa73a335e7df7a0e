//! The `-C` pass: running D text through the system C preprocessor.
//!
//! DTrace hands scripts to `cpp` with its own predefined macros (a D
//! program can test `__SUNW_D`, `__SUNW_D_VERSION`, `__linux`, ...) and
//! `__GNUC__` removed, since D is not GNU C. The output keeps cpp's line
//! markers (`# 12 "file"`): build the [`Source`](crate::source::Source)
//! from it as usual and [`Source::new`](crate::source::Source::new) records
//! the markers, so diagnostics carry the line numbers of the user's file.
//!
//! A first line starting with `#!` (an interpreter script) is blanked
//! before cpp sees it, keeping its newline so that lines still match.
//! cpp's own messages go to our standard error, as with DTrace; a failure
//! is reported with DTrace's error text.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// The preprocessor run when no other is configured (`-x cpppath`).
pub const DEFAULT_CPP: &str = "cpp";

/// `__SUNW_D_VERSION` for the newest D version supported (1.13), encoded as
/// DTrace encodes versions: major << 24 | minor << 12 | micro.
pub const D_VERSION_LATEST: u32 = (1 << 24) | (13 << 12);

/// The macro definitions DTrace passes to cpp, before the user's options.
pub fn predefined_macros() -> Vec<String> {
    let mut v: Vec<String> = [
        "-D__linux",
        "-D__unix",
        "-D__SVR4",
        "-D__SUNW_D=1",
        "-U__GNUC__",
        "-D__Linux",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("-D__SUNW_D_{}", usize::BITS));
    if cfg!(target_arch = "x86_64") {
        v.push("-D__amd64".into());
    }
    v
}

/// Preprocesses `text` with [`DEFAULT_CPP`] and the newest D version.
/// `cpp_args` are the user's `-D`, `-U` and `-I` options, as given.
pub fn preprocess(text: &str, cpp_args: &[String]) -> Result<String, String> {
    preprocess_with(DEFAULT_CPP, D_VERSION_LATEST, text, cpp_args)
}

/// Preprocesses `text` with the preprocessor `cpp_path`, defining
/// `__SUNW_D_VERSION` as `d_version` (see [`D_VERSION_LATEST`]).
pub fn preprocess_with(
    cpp_path: &str,
    d_version: u32,
    text: &str,
    cpp_args: &[String],
) -> Result<String, String> {
    let input = blank_interpreter_line(text);
    let mut child = Command::new(cpp_path)
        .args(predefined_macros())
        .arg(format!("-D__SUNW_D_VERSION=0x{d_version:08x}"))
        .args(cpp_args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "Preprocessor not found".to_string()
            } else {
                "Failed to exec preprocessor".to_string()
            }
        })?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err("Failed to exec preprocessor".into());
    };
    // Feed the input from another thread: cpp may fill its output pipe
    // before it has read all of its input.
    let mut output = Vec::new();
    let read = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            // A write error means cpp exited early; its status tells why.
            let _ = stdin.write_all(input.as_bytes());
        });
        let r = stdout.read_to_end(&mut output);
        let _ = writer.join();
        r
    });
    let status = child
        .wait()
        .map_err(|_| "Failed to exec preprocessor".to_string())?;
    if read.is_err() || !status.success() {
        return Err("Preprocessor failed to process input program".into());
    }
    String::from_utf8(output).map_err(|_| "Preprocessor failed to process input program".into())
}

/// `text` with a leading `#!` line emptied (its newline kept).
fn blank_interpreter_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.starts_with("#!") {
        return text.into();
    }
    match text.find('\n') {
        Some(nl) => text[nl..].to_string().into(),
        None => "".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::macros::Macros;
    use crate::parser::{NoTypeNames, ParseOptions, parse};
    use crate::source::{Origin, Source};

    fn have_cpp() -> bool {
        Command::new(DEFAULT_CPP)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn interpreter_line_is_blanked() {
        assert_eq!(
            blank_interpreter_line("#!/usr/sbin/dtrace -s\nBEGIN"),
            "\nBEGIN"
        );
        assert_eq!(blank_interpreter_line("BEGIN"), "BEGIN");
        assert_eq!(blank_interpreter_line("#!x"), "");
    }

    #[test]
    fn version_encoding() {
        assert_eq!(format!("0x{D_VERSION_LATEST:08x}"), "0x0100d000");
        assert!(predefined_macros().contains(&"-D__SUNW_D_64".to_string()));
    }

    #[test]
    fn missing_preprocessor() {
        let r = preprocess_with("/nonexistent/cpp", D_VERSION_LATEST, "x", &[]);
        assert_eq!(r, Err("Preprocessor not found".into()));
    }

    #[test]
    fn preprocesses_and_keeps_line_numbers() {
        if !have_cpp() {
            eprintln!("no cpp on this machine; skipping");
            return;
        }
        let script = "#!/usr/sbin/dtrace -Cs\n#define N 42\n#if __SUNW_D == 1 && defined(__linux) && !defined(__GNUC__)\nBEGIN { x = N; }\n#endif\n\n\n\n\n\n\n\n\n\n\n\nEND { y = FOO + ; }\n";
        let out = preprocess(script, &["-DFOO=7".to_string()]).expect("cpp runs");
        assert!(out.contains("x = 42;"), "{out}");
        assert!(out.contains("y = 7 + ;"), "{out}");
        let src = Source::new(Origin::Script("t.d".into()), out);
        let macros = Macros::default();
        let opts = ParseOptions {
            macros: &macros,
            types: &NoTypeNames,
        };
        let err = parse(&src, 0, &opts).expect_err("syntax error");
        assert_eq!(err.message, "syntax error near \";\"");
        let span = err.span.expect("span");
        assert_eq!(src.line_of(span.start), 17);
    }

    #[test]
    fn preprocessor_errors() {
        if !have_cpp() {
            return;
        }
        let r = preprocess("#error stop\n", &[]);
        assert_eq!(
            r,
            Err("Preprocessor failed to process input program".into())
        );
    }
}
