package dev.boxkit.sandbox.seccomp;

import java.util.List;
import java.util.Set;

/**
 * Checks a program the way the kernel's {@code bpf_check_classic()} and
 * {@code seccomp_check_filter()} do, restricted to the instructions BoxKit emits, plus that
 * every instruction is reachable. A program that fails here would be refused by
 * {@code seccomp(2)} with EINVAL, so {@link SeccompFilter#compile} never returns one.
 */
final class BpfVerifier {
  /** {@code BPF_MAXINSNS}: the kernel refuses longer classic programs. */
  static final int MAX_INSNS = 4096;
  /** {@code sizeof(struct seccomp_data)}: nr, arch, instruction_pointer, args[6]. */
  static final int SECCOMP_DATA_SIZE = 64;

  private static final Set<Integer> JUMPS = Set.of(
      BpfInsn.JMP_JEQ_K, BpfInsn.JMP_JGT_K, BpfInsn.JMP_JGE_K, BpfInsn.JMP_JSET_K);

  private BpfVerifier() {}

  /**
   * @param program decoded instructions
   * @throws IllegalStateException naming the first offending instruction
   */
  static void verify(List<BpfInsn> program) {
    int n = program.size();
    if (n == 0 || n > MAX_INSNS) {
      throw new IllegalStateException("program has " + n + " instructions; must be 1.." + MAX_INSNS);
    }
    boolean[] reachable = new boolean[n];
    reachable[0] = true;
    for (int pc = 0; pc < n; pc++) {
      BpfInsn i = program.get(pc);
      if (!reachable[pc]) {
        throw new IllegalStateException("instruction " + pc + " " + i + " is unreachable");
      }
      int code = i.code();
      if (code == BpfInsn.LD_W_ABS) {
        if (i.k() < 0 || i.k() >= SECCOMP_DATA_SIZE || i.k() % 4 != 0) {
          throw bad(pc, i, "load offset outside struct seccomp_data or unaligned");
        }
        mark(reachable, pc, 1, n, i);
      } else if (code == BpfInsn.ALU_AND_K) {
        mark(reachable, pc, 1, n, i);
      } else if (code == BpfInsn.JMP_JA) {
        if (Integer.toUnsignedLong(i.k()) >= n - pc - 1L) {
          throw bad(pc, i, "jump out of range");
        }
        mark(reachable, pc, 1 + i.k(), n, i);
      } else if (JUMPS.contains(code)) {
        mark(reachable, pc, 1 + i.jt(), n, i);
        mark(reachable, pc, 1 + i.jf(), n, i);
      } else if (code == BpfInsn.RET_K) {
        SeccompAction.fromReturnValue(i.k());
      } else {
        throw bad(pc, i, "opcode not allowed");
      }
    }
    if (program.get(n - 1).code() != BpfInsn.RET_K) {
      throw bad(n - 1, program.get(n - 1), "last instruction must return");
    }
  }

  private static void mark(boolean[] reachable, int pc, int delta, int n, BpfInsn i) {
    int target = pc + delta;
    if (target >= n) {
      throw bad(pc, i, "jump or fall-through past the end");
    }
    reachable[target] = true;
  }

  private static IllegalStateException bad(int pc, BpfInsn i, String why) {
    return new IllegalStateException("instruction " + pc + " " + i + ": " + why);
  }
}
