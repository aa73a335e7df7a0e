//! The command line, as `dtrace(1)` defines it.
//!
//! DTrace's flags do not fit declarative parsers: `-32`/`-64` look like
//! numbers, `-xopt=val` glues option and value, `-n`/`-s`/`-P`... may repeat
//! and their order matters (it is the order the programs are compiled in),
//! and operands may appear anywhere, becoming `$1`, `$2`, ... So the
//! arguments are walked once with `lexopt`, in order, into an
//! [`Invocation`].

use dtrace_syntax::source::SpecKind;
use lexopt::prelude::*;
use std::ffi::OsString;

/// A program source, in command-line order.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgramArg {
    /// `-n`, `-P`, `-m`, `-f`, `-i`.
    Spec(SpecKind, String),
    /// `-s path`.
    Script(String),
}

#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub programs: Vec<ProgramArg>,
    /// `-x name[=value]` and the flags that are options in disguise
    /// (`-q` = quiet, `-w` = destructive, `-Z` = zdefs, `-F` = flowindent,
    /// `-b` = bufsize), in order.
    pub options: Vec<(String, Option<String>)>,
    pub list: bool,
    pub verbose: bool,
    pub version: bool,
    pub compile_only: bool,
    pub show_code: bool,
    pub cpp: bool,
    /// `-D`, `-U`, `-I`, `-H` for the preprocessor, as cpp flags.
    pub cpp_args: Vec<String>,
    pub lib_dirs: Vec<String>,
    pub commands: Vec<String>,
    pub pids: Vec<String>,
    pub output: Option<String>,
    /// Operands: `$1`, `$2`, ...
    pub operands: Vec<String>,
    /// Flags accepted for compatibility that do nothing here.
    pub ignored: Vec<char>,
    /// `-h` / `-G`: header or object generation.
    pub generate_header: bool,
    pub generate_object: bool,
}

#[derive(Debug)]
pub enum CliError {
    /// Bad usage: print the usage message, exit 2.
    Usage(Option<String>),
}

fn text(v: OsString) -> Result<String, CliError> {
    v.into_string()
        .map_err(|_| CliError::Usage(Some("arguments must be valid UTF-8".into())))
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, CliError> {
    let mut inv = Invocation::default();
    let mut p = lexopt::Parser::from_iter(args);
    loop {
        // Own the argument: option values are read from the parser while
        // the argument is still being matched.
        let arg = match p.next() {
            Ok(Some(Long(l))) => {
                return Err(CliError::Usage(Some(format!("illegal option -- -{l}"))));
            }
            Ok(Some(Short(c))) => Short(c),
            Ok(Some(Value(v))) => Value(v),
            Ok(None) => break,
            Err(e) => return Err(CliError::Usage(Some(e.to_string()))),
        };
        let value = |p: &mut lexopt::Parser| -> Result<String, CliError> {
            match p.value() {
                Ok(v) => text(v),
                Err(e) => Err(CliError::Usage(Some(e.to_string()))),
            }
        };
        match arg {
            Short('n') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Spec(SpecKind::Name, v));
            }
            Short('P') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Spec(SpecKind::Provider, v));
            }
            Short('m') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Spec(SpecKind::Module, v));
            }
            Short('f') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Spec(SpecKind::Function, v));
            }
            Short('i') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Spec(SpecKind::Id, v));
            }
            Short('s') => {
                let v = value(&mut p)?;
                inv.programs.push(ProgramArg::Script(v));
            }
            Short('x') => {
                let v = value(&mut p)?;
                match v.split_once('=') {
                    Some((k, val)) => inv.options.push((k.to_string(), Some(val.to_string()))),
                    None => inv.options.push((v, None)),
                }
            }
            Short('b') => {
                let v = value(&mut p)?;
                inv.options.push(("bufsize".into(), Some(v)));
            }
            Short('X') => {
                let v = value(&mut p)?;
                inv.options.push(("stdc".into(), Some(v)));
            }
            Short('q') => inv.options.push(("quiet".into(), None)),
            Short('w') => inv.options.push(("destructive".into(), None)),
            Short('Z') => inv.options.push(("zdefs".into(), None)),
            Short('F') => inv.options.push(("flowindent".into(), None)),
            Short('l') => inv.list = true,
            Short('v') => inv.verbose = true,
            Short('V') => inv.version = true,
            Short('e') => inv.compile_only = true,
            Short('S') => inv.show_code = true,
            Short('C') => inv.cpp = true,
            Short('D') => {
                let v = value(&mut p)?;
                inv.cpp_args.push(format!("-D{v}"));
            }
            Short('U') => {
                let v = value(&mut p)?;
                inv.cpp_args.push(format!("-U{v}"));
            }
            Short('I') => {
                let v = value(&mut p)?;
                inv.cpp_args.push(format!("-I{v}"));
            }
            Short('H') => inv.cpp_args.push("-H".into()),
            Short('L') => {
                let v = value(&mut p)?;
                inv.lib_dirs.push(v);
            }
            Short('c') => {
                let v = value(&mut p)?;
                inv.commands.push(v);
            }
            Short('p') => {
                let v = value(&mut p)?;
                inv.pids.push(v);
            }
            Short('o') => {
                let v = value(&mut p)?;
                inv.output = Some(v);
            }
            Short('3') | Short('6') => {
                // -32 / -64: the data model. BPF is 64-bit; -32 is refused.
                let v = value(&mut p)?;
                match (arg_char(&arg), v.as_str()) {
                    ('6', "4") => {}
                    ('3', "2") => {
                        return Err(CliError::Usage(Some(
                            "-32 is not supported: tracing programs are 64-bit".into(),
                        )));
                    }
                    _ => return Err(CliError::Usage(None)),
                }
            }
            Short('h') => inv.generate_header = true,
            Short('G') => inv.generate_object = true,
            Short('a') | Short('A') | Short('B') => inv.ignored.push(arg_char(&arg)),
            Value(v) => inv.operands.push(text(v)?),
            Short(c) => return Err(CliError::Usage(Some(format!("illegal option -- {c}")))),
            Long(l) => return Err(CliError::Usage(Some(format!("illegal option -- -{l}")))),
        }
    }
    Ok(inv)
}

fn arg_char(a: &lexopt::Arg<'_>) -> char {
    match a {
        Short(c) => *c,
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Invocation {
        let mut v: Vec<OsString> = vec!["dtrace".into()];
        v.extend(args.iter().map(|s| OsString::from(*s)));
        parse(v).unwrap()
    }

    #[test]
    fn programs_keep_command_line_order() {
        let i = p(&["-n", "BEGIN", "-s", "x.d", "-P", "syscall"]);
        assert_eq!(
            i.programs,
            vec![
                ProgramArg::Spec(SpecKind::Name, "BEGIN".into()),
                ProgramArg::Script("x.d".into()),
                ProgramArg::Spec(SpecKind::Provider, "syscall".into()),
            ]
        );
    }

    #[test]
    fn shebang_clusters_and_glued_values() {
        let i = p(&[
            "-qs",
            "script.d",
            "arg1",
            "-xbufsize=8m",
            "-x",
            "quiet",
            "-64",
        ]);
        assert_eq!(i.programs, vec![ProgramArg::Script("script.d".into())]);
        assert_eq!(i.operands, vec!["arg1".to_string()]);
        assert_eq!(
            i.options,
            vec![
                ("quiet".into(), None),
                ("bufsize".into(), Some("8m".into())),
                ("quiet".into(), None)
            ]
        );
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        let v: Vec<OsString> = vec!["dtrace".into(), "-K".into()];
        assert!(parse(v).is_err());
    }
}
