//! End-to-end tests: D programs run through the built `dtrace` against the
//! real kernel, with complete stdout, stderr and exit status compared.
//!
//! Each case in `tests/cases/` is a `NAME.d` script (or only a command) and:
//!
//! * `NAME.cmd`, optional: the shell command to run (default
//!   `$DTRACE -s $SCRIPT`). `$DTRACE` is the binary under test, `$SCRIPT`
//!   the script's file name (cases run in `tests/cases/`, so error messages
//!   name the script as written), `$TRIGGER` the test program built from
//!   `tests/support/trigger.c`;
//! * `NAME.out`: the expected stdout;
//! * `NAME.err`, optional: the expected stderr (empty when absent), where
//!   process ids are written `pid PID`;
//! * `NAME.status`, optional: the expected exit status (0 when absent).
//!
//! Every case runs pinned to CPU 0 so the CPU column is the same on every
//! machine. Without the privileges or kernel support to load BPF programs
//! the cases are skipped with the reason printed, unless
//! `DTRACE_REQUIRE_KERNEL=1`, which turns the skip into a failure (CI sets
//! it). `DTRACE_CASES=text` runs only the cases whose name contains `text`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_trigger() -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trigger");
    let src = root().join("tests/support/trigger.c");
    let status = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("a C compiler (cc) is needed to build the test trigger program");
    assert!(status.success(), "building {} failed", src.display());
    out
}

struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: i32,
}

fn run_shell(cmd: &str, script: &str, trigger: &Path, timeout: Duration) -> Outcome {
    let dir = root().join("tests/cases");
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(cmd)
        .current_dir(&dir)
        .env("DTRACE", env!("CARGO_BIN_EXE_dtrace"))
        .env("SCRIPT", script)
        .env("TRIGGER", trigger)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: sched_setaffinity on the child itself, between fork and exec;
    // it touches only the stack-allocated CPU set.
    unsafe {
        c.pre_exec(|| {
            // A process group of its own, so a timeout kills dtrace too.
            libc::setpgid(0, 0);
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(0, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            Ok(())
        });
    }
    let mut child = c.spawn().expect("spawn /bin/sh");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > timeout {
            // SAFETY: signalling the process group the child leads.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
        status: status.code().unwrap_or(-1),
    }
}

/// Whether this machine lets us load and run BPF; `Err` says why not.
fn kernel_available(trigger: &Path) -> Result<(), String> {
    let o = run_shell(
        "$DTRACE -qn 'BEGIN { exit(0); }'",
        "",
        trigger,
        Duration::from_secs(30),
    );
    if o.status == 0 {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
    }
}

/// Process ids differ from run to run: `pid 1234` in stderr is compared as
/// `pid PID`.
fn normalize_pids(b: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(b);
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(i) = rest.find("pid ") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("PID");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out.into_bytes()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn cases() {
    let trigger = build_trigger();
    if let Err(why) = kernel_available(&trigger) {
        let msg = format!("end-to-end cases skipped: cannot run BPF programs here: {why}");
        if std::env::var("DTRACE_REQUIRE_KERNEL").is_ok_and(|v| v == "1") {
            panic!("{msg} (DTRACE_REQUIRE_KERNEL=1)");
        }
        eprintln!("{msg}");
        return;
    }
    let dir = root().join("tests/cases");
    let filter = std::env::var("DTRACE_CASES").unwrap_or_default();
    let bless = std::env::var("DTRACE_BLESS").is_ok_and(|v| v == "1");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            p.extension().is_some_and(|x| x == "out").then(|| {
                p.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
        })
        .filter(|n| n.contains(&filter))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no cases matched");
    let mut failures = Vec::new();
    for name in &names {
        let read = |ext: &str| std::fs::read(dir.join(format!("{name}.{ext}"))).ok();
        let cmd = read("cmd")
            .map(|b| show(&b).trim().to_string())
            .unwrap_or_else(|| "$DTRACE -s $SCRIPT".into());
        let script = format!("{name}.d");
        let mut o = run_shell(&cmd, &script, &trigger, Duration::from_secs(60));
        o.stderr = normalize_pids(&o.stderr);
        let want_out = read("out").unwrap_or_default();
        let want_err = read("err").unwrap_or_default();
        let want_status: i32 = read("status")
            .and_then(|b| show(&b).trim().parse().ok())
            .unwrap_or(0);
        if bless {
            let _ = std::fs::write(dir.join(format!("{name}.out")), &o.stdout);
            if o.stderr.is_empty() {
                let _ = std::fs::remove_file(dir.join(format!("{name}.err")));
            } else {
                let _ = std::fs::write(dir.join(format!("{name}.err")), &o.stderr);
            }
            if o.status == 0 {
                let _ = std::fs::remove_file(dir.join(format!("{name}.status")));
            } else {
                let _ = std::fs::write(
                    dir.join(format!("{name}.status")),
                    format!("{}\n", o.status),
                );
            }
            continue;
        }
        let mut problems = Vec::new();
        if o.stdout != want_out {
            problems.push(format!(
                "stdout differs\n--- expected\n{}--- actual\n{}---",
                show(&want_out),
                show(&o.stdout)
            ));
        }
        if o.stderr != want_err {
            problems.push(format!(
                "stderr differs\n--- expected\n{}--- actual\n{}---",
                show(&want_err),
                show(&o.stderr)
            ));
        }
        if o.status != want_status {
            problems.push(format!("exit status {} (expected {want_status})", o.status));
        }
        if !problems.is_empty() {
            failures.push(format!("case {name} ({cmd}):\n{}", problems.join("\n")));
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} cases failed:\n\n{}",
            failures.len(),
            names.len(),
            failures.join("\n\n")
        );
    }
    eprintln!("{} end-to-end cases passed", names.len());
}
