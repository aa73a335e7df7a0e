//! Messages on stderr, in dtrace(1)'s words.
//!
//! Compile errors are rendered here, once, from [`Diag`]s produced anywhere
//! in the pipeline: `dtrace: failed to compile script x.d: line 3: ...` for
//! scripts, `dtrace: invalid probe specifier SPEC: ...` for `-n` and its
//! kin, with `[D_TAG] ` in front of the message under `-x errtags`.

use dtrace_syntax::diag::Diag;
use dtrace_syntax::source::{Origin, Source};

pub fn usage(msg: Option<&str>) {
    let mut s = String::new();
    if let Some(m) = msg {
        s.push_str(&format!("dtrace: {m}\n"));
    }
    s.push_str(USAGE);
    eprint!("{s}");
}

const USAGE: &str = "Usage: dtrace [-32|-64] [-aACeFGhHlqSvVwZ] [-b bufsz] [-c cmd] [-D name[=def]]
\t[-I path] [-L path] [-o output] [-p pid] [-s script] [-U name]
\t[-x opt[=val]] [-X a|c|s|t]

\t[-P provider [[ predicate ] action ]]
\t[-m [ provider: ] module [[ predicate ] action ]]
\t[-f [[ provider: ] module: ] func [[ predicate ] action ]]
\t[-n [[[ provider: ] module: ] func: ] name [[ predicate ] action ]]
\t[-i probe-id [[ predicate ] action ]] [ args ... ]

\tpredicate -> '/' D-expression '/'
\t   action -> '{' D-statements '}'

\t-32 generate 32-bit D programs and ELF files
\t-64 generate 64-bit D programs and ELF files

\t-a  claim anonymous tracing state
\t-A  generate driver.conf(5) directives for anonymous tracing
\t-b  set trace buffer size
\t-c  run specified command and exit upon its completion
\t-C  run cpp(1) preprocessor on script files
\t-D  define symbol when invoking preprocessor
\t-e  exit after compiling request but prior to enabling probes
\t-f  enable or list probes matching the specified function name
\t-F  coalesce trace output by function
\t-G  generate an ELF file containing embedded dtrace program
\t-h  generate a header file with definitions for static probes
\t-H  print included files when invoking preprocessor
\t-i  enable or list probes matching the specified probe id
\t-I  add include directory to preprocessor search path
\t-l  list probes matching specified criteria
\t-L  add library directory to library search path
\t-m  enable or list probes matching the specified module name
\t-n  enable or list probes matching the specified probe name
\t-o  set output file
\t-p  grab specified process-ID and cache its symbol tables
\t-P  enable or list probes matching the specified provider name
\t-q  set quiet mode (only output explicitly traced data)
\t-s  enable or list probes according to the specified D script
\t-S  print D compiler intermediate code
\t-U  undefine symbol when invoking preprocessor
\t-v  set verbose mode (report stability attributes, arguments)
\t-V  report DTrace API version
\t-w  permit destructive actions
\t-x  enable or modify compiler and tracing options
\t-X  specify ISO C conformance settings for preprocessor
\t-Z  permit probe descriptions that match zero probes
";

/// A fatal message: `dtrace: <msg>`.
pub fn fatal(msg: &str) {
    eprintln!("dtrace: {msg}");
}

/// Renders a compile error the way dtrace(1) prints it.
pub fn compile_error(d: &Diag, sources: &[Source], errtags: bool) -> String {
    let src = d.span.and_then(|s| sources.get(s.source as usize));
    let mut body = String::new();
    if errtags {
        body.push_str(&format!("[{}] ", d.tag));
    }
    if let (Some(span), Some(src)) = (d.span, src) {
        if matches!(src.origin, Origin::Script(_)) {
            body.push_str(&format!("line {}: ", src.line_of(span.start)));
        } else if let Some(region) = d.region {
            body.push_str(&format!("in {region}: "));
        }
    }
    body.push_str(&d.message);
    match src.map(|s| &s.origin) {
        Some(Origin::Script(path)) => format!("dtrace: failed to compile script {path}: {body}"),
        Some(Origin::Spec(_)) => {
            let text = src.map_or("", |s| s.text.as_str());
            format!("dtrace: invalid probe specifier {text}: {body}")
        }
        Some(Origin::Library(path)) => format!("dtrace: failed to compile library {path}: {body}"),
        None => {
            // Errors about the whole program: attribute them to the first
            // source.
            match sources.first().map(|s| &s.origin) {
                Some(Origin::Script(path)) => {
                    format!("dtrace: failed to compile script {path}: {body}")
                }
                Some(Origin::Spec(_)) => format!(
                    "dtrace: invalid probe specifier {}: {body}",
                    sources[0].text
                ),
                _ => format!("dtrace: {body}"),
            }
        }
    }
}

/// An OS error as `strerror` words ("No such file or directory"), without
/// Rust's " (os error N)" suffix.
pub fn errno_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
