//! D program → typed program → BPF object.
//!
//! The compiler's stages, in order: [`sema`] checks an
//! [`dtrace_syntax::ast::Program`] and produces a typed program ([`tir`]);
//! [`codegen`] turns it into BPF programs, map definitions and record
//! descriptions ([`object`]). Nothing here touches the kernel: providers
//! describe probes through [`probes`], and the kernel's types come in as
//! bytes through [`btf`].

pub mod bpf;
pub mod btf;
pub mod codegen;
pub mod object;
pub mod probes;
pub mod sema;
pub mod tir;
pub mod types;
