//! An assembler: instructions plus labels, resolved into jump offsets.
//!
//! Code generation emits forward jumps before their targets exist, so jumps
//! and BPF-to-BPF calls name a [`Label`]; [`Asm::finish`] patches every
//! offset once all labels are bound. Jump offsets are 16-bit and count
//! instruction slots from the slot after the jump; a program too large for
//! that is reported, not truncated.

use super::insn::{Cond, Insn, Reg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label(u32);

#[derive(Debug, Clone, Copy)]
enum Fixup {
    Jump,
    Call,
}

#[derive(Debug, Default)]
pub struct Asm {
    insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label, Fixup)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmError {
    UnboundLabel,
    JumpTooFar,
}

impl Asm {
    pub fn new() -> Self {
        Asm::default()
    }

    /// Number of instruction slots emitted so far (the next slot's index).
    pub fn pc(&self) -> usize {
        self.insns.len()
    }

    pub fn emit(&mut self, insn: Insn) {
        self.insns.push(insn);
    }

    pub fn emit2(&mut self, pair: [Insn; 2]) {
        self.insns.extend_from_slice(&pair);
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `label` to the next instruction.
    pub fn bind(&mut self, label: Label) {
        self.labels[label.0 as usize] = Some(self.insns.len());
    }

    pub fn is_bound(&self, label: Label) -> bool {
        self.labels[label.0 as usize].is_some()
    }

    /// Whether any jump or call emitted so far targets `label`.
    pub fn is_referenced(&self, label: Label) -> bool {
        self.fixups.iter().any(|&(_, l, _)| l.0 == label.0)
    }

    pub fn jmp(&mut self, label: Label) {
        self.fixups.push((self.insns.len(), label, Fixup::Jump));
        self.insns.push(Insn::jmp_imm(Cond::Always, Reg(0), 0, 0));
    }

    pub fn jmp_imm(&mut self, cond: Cond, dst: Reg, imm: i32, label: Label) {
        self.fixups.push((self.insns.len(), label, Fixup::Jump));
        self.insns.push(Insn::jmp_imm(cond, dst, imm, 0));
    }

    pub fn jmp_reg(&mut self, cond: Cond, dst: Reg, src: Reg, label: Label) {
        self.fixups.push((self.insns.len(), label, Fixup::Jump));
        self.insns.push(Insn::jmp_reg(cond, dst, src, 0));
    }

    /// A BPF-to-BPF call of the subprogram starting at `label`.
    pub fn call_local(&mut self, label: Label) {
        self.fixups.push((self.insns.len(), label, Fixup::Call));
        self.insns.push(Insn::call_local(0));
    }

    pub fn finish(mut self) -> Result<Vec<Insn>, AsmError> {
        for &(at, label, kind) in &self.fixups {
            let target = self.labels[label.0 as usize].ok_or(AsmError::UnboundLabel)?;
            let rel = target as i64 - (at as i64 + 1);
            match kind {
                Fixup::Jump => {
                    self.insns[at].off = i16::try_from(rel).map_err(|_| AsmError::JumpTooFar)?;
                }
                Fixup::Call => {
                    self.insns[at].imm = i32::try_from(rel).map_err(|_| AsmError::JumpTooFar)?;
                }
            }
        }
        Ok(self.insns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::insn::*;

    #[test]
    fn forward_and_backward_jumps_resolve() {
        let mut a = Asm::new();
        let top = a.new_label();
        let out = a.new_label();
        a.bind(top);
        a.jmp_imm(Cond::Eq, R1, 0, out); // 0 → 3: off 2
        a.emit(Insn::alu64_imm(Alu::Sub, R1, 1)); // 1
        a.jmp(top); // 2 → 0: off -3
        a.bind(out);
        a.emit(Insn::exit()); // 3
        let code = a.finish().unwrap();
        assert_eq!(code[0].off, 2);
        assert_eq!(code[2].off, -3);
    }

    #[test]
    fn unbound_labels_are_errors() {
        let mut a = Asm::new();
        let l = a.new_label();
        a.jmp(l);
        assert_eq!(a.finish(), Err(AsmError::UnboundLabel));
    }
}
