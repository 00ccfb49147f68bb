package dev.boxkit.sandbox.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Runs a classic BPF seccomp program on one {@code struct seccomp_data}, as the kernel's
 * {@code __bpf_prog_run} would on a little-endian machine. Knows exactly the opcodes
 * {@link BpfVerifier} admits and fails on anything else.
 */
final class BpfInterpreter {
  private BpfInterpreter() {}

  /**
   * @param program compiled program bytes
   * @param nr {@code seccomp_data.nr}
   * @param auditArch {@code seccomp_data.arch}
   * @param instructionPointer {@code seccomp_data.instruction_pointer}
   * @param args the six arguments
   * @return the program's return value
   */
  static int run(byte[] program, int nr, int auditArch, long instructionPointer, long[] args) {
    ByteBuffer data = ByteBuffer.allocate(BpfVerifier.SECCOMP_DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(nr).putInt(auditArch).putLong(instructionPointer);
    for (int i = 0; i < 6; i++) {
      data.putLong(args[i]);
    }
    List<BpfInsn> p = BpfInsn.decode(program);
    int a = 0;
    int pc = 0;
    for (int steps = 0; steps <= p.size(); steps++) {
      BpfInsn i = p.get(pc);
      switch (i.code()) {
        case BpfInsn.LD_W_ABS:
          a = data.getInt(i.k());
          pc++;
          break;
        case BpfInsn.ALU_AND_K:
          a &= i.k();
          pc++;
          break;
        case BpfInsn.JMP_JA:
          pc += 1 + i.k();
          break;
        case BpfInsn.JMP_JEQ_K:
          pc += 1 + (a == i.k() ? i.jt() : i.jf());
          break;
        case BpfInsn.JMP_JGT_K:
          pc += 1 + (Integer.compareUnsigned(a, i.k()) > 0 ? i.jt() : i.jf());
          break;
        case BpfInsn.JMP_JGE_K:
          pc += 1 + (Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf());
          break;
        case BpfInsn.JMP_JSET_K:
          pc += 1 + ((a & i.k()) != 0 ? i.jt() : i.jf());
          break;
        case BpfInsn.RET_K:
          return i.k();
        default:
          throw new IllegalStateException("unknown opcode at " + pc + ": " + i);
      }
    }
    throw new IllegalStateException("program did not return (a backward jump?)");
  }

  static SeccompAction action(byte[] program, SeccompArch arch, int nr, long... args) {
    long[] six = new long[6];
    System.arraycopy(args, 0, six, 0, args.length);
    return SeccompAction.fromReturnValue(run(program, nr, arch.auditArch(), 0x401000L, six));
  }
}
