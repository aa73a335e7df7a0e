//! Target processes: `-c cmd` (created, held until tracing starts) and
//! `-p pid` (grabbed). Tracing ends when the last of them exits.

use crate::cli::Invocation;
use dtrace_kernel::process::{self, HeldChild};
use std::os::fd::OwnedFd;

pub struct Target {
    pub pid: i32,
    pub child: Option<HeldChild>,
    /// Readable when the process exits.
    pub pidfd: Option<OwnedFd>,
    pub alive: bool,
}

#[derive(Default)]
pub struct Targets {
    pub list: Vec<Target>,
}

impl Targets {
    pub fn start(inv: &Invocation) -> Result<Targets, String> {
        let mut t = Targets::default();
        for cmd in &inv.commands {
            let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            let child = process::spawn_held(&argv).map_err(|e| {
                format!(
                    "failed to execute {}: {}",
                    argv.first().map_or("", |s| s.as_str()),
                    crate::report::errno_text(&e)
                )
            })?;
            let pid = child.pid();
            let pidfd = process::pidfd_open(pid).ok();
            t.list.push(Target {
                pid,
                child: Some(child),
                pidfd,
                alive: true,
            });
        }
        for p in &inv.pids {
            let pid: i32 = p
                .trim()
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("invalid pid: {p}"))?;
            if !process::process_exists(pid) {
                return Err(format!("failed to grab pid {pid}: No such process"));
            }
            let pidfd = process::pidfd_open(pid).map_err(|e| {
                format!(
                    "failed to grab pid {pid}: {}",
                    crate::report::errno_text(&e)
                )
            })?;
            t.list.push(Target {
                pid,
                child: None,
                pidfd: Some(pidfd),
                alive: true,
            });
        }
        Ok(t)
    }

    pub fn first_pid(&self) -> Option<i32> {
        self.list.first().map(|t| t.pid)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn any_alive(&self) -> bool {
        self.list.iter().any(|t| t.alive)
    }

    /// Lets held commands run.
    pub fn release(&mut self) {
        for t in &mut self.list {
            if let Some(c) = &mut t.child {
                c.release();
            }
        }
    }

    /// Kills commands we created (after a failure to start tracing).
    pub fn kill(&mut self) {
        for t in &mut self.list {
            if let Some(c) = &mut t.child {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// At the end of tracing, commands we created that still run are
    /// killed, as dtrace(1) does when it closes.
    pub fn kill_created_if_alive(&mut self) {
        for t in &mut self.list {
            if t.alive
                && let Some(c) = &mut t.child
            {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// Notes that target `i` exited; returns the notice dtrace prints.
    pub fn reap(&mut self, i: usize) -> Option<String> {
        let t = self.list.get_mut(i)?;
        if !t.alive {
            return None;
        }
        t.alive = false;
        let pid = t.pid;
        if let Some(c) = &mut t.child
            && let Ok(status) = c.wait()
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = status.signal() {
                return Some(format!(
                    "pid {pid} terminated by {}",
                    process::signal_name(sig)
                ));
            }
            if let Some(code) = status.code()
                && code != 0
            {
                return Some(format!("pid {pid} exited with status {code}"));
            }
        }
        Some(format!("pid {pid} has exited"))
    }
}

/// The dtrace process's own ids, for `$ppid`, `$uid`, ... macro variables.
pub fn self_ids() -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            let mut parts = line.split_whitespace();
            match parts.next() {
                Some("PPid:") => {
                    if let Some(v) = parts.next().and_then(|v| v.parse().ok()) {
                        out.push(("ppid", v));
                    }
                }
                Some("Uid:") => {
                    let v: Vec<i64> = parts.filter_map(|v| v.parse().ok()).collect();
                    if v.len() >= 2 {
                        out.push(("uid", v[0]));
                        out.push(("euid", v[1]));
                    }
                }
                Some("Gid:") => {
                    let v: Vec<i64> = parts.filter_map(|v| v.parse().ok()).collect();
                    if v.len() >= 2 {
                        out.push(("gid", v[0]));
                        out.push(("egid", v[1]));
                    }
                }
                _ => {}
            }
        }
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the parenthesised command name: state ppid pgrp session.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let f: Vec<&str> = rest.split_whitespace().collect();
            if let (Some(pg), Some(sid)) = (f.get(2), f.get(3))
                && let (Ok(pg), Ok(sid)) = (pg.parse(), sid.parse())
            {
                out.push(("pgid", pg));
                out.push(("sid", sid));
            }
        }
    }
    out.push(("projid", 0));
    out.push(("taskid", 0));
    out
}
