package dev.boxkit.sandbox.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One classic BPF instruction, {@code struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }}
 * ({@code include/uapi/linux/filter.h}), 8 bytes little-endian on the wire.
 */
record BpfInsn(int code, int jt, int jf, int k) {
  static final int SIZE_BYTES = 8;

  // Opcodes BoxKit emits (include/uapi/linux/bpf_common.h).
  static final int LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
  static final int ALU_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
  static final int JMP_JA = 0x05; // BPF_JMP | BPF_JA
  static final int JMP_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
  static final int JMP_JGT_K = 0x25; // BPF_JMP | BPF_JGT | BPF_K
  static final int JMP_JGE_K = 0x35; // BPF_JMP | BPF_JGE | BPF_K
  static final int JMP_JSET_K = 0x45; // BPF_JMP | BPF_JSET | BPF_K
  static final int RET_K = 0x06; // BPF_RET | BPF_K

  BpfInsn {
    if ((code & ~0xffff) != 0 || (jt & ~0xff) != 0 || (jf & ~0xff) != 0) {
      throw new IllegalArgumentException("field out of range: " + this);
    }
  }

  static BpfInsn stmt(int code, int k) {
    return new BpfInsn(code, 0, 0, k);
  }

  static BpfInsn jump(int code, int k, int jt, int jf) {
    return new BpfInsn(code, jt, jf, k);
  }

  static byte[] encode(List<BpfInsn> program) {
    ByteBuffer b = ByteBuffer.allocate(program.size() * SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (BpfInsn i : program) {
      b.putShort((short) i.code).put((byte) i.jt).put((byte) i.jf).putInt(i.k);
    }
    return b.array();
  }

  static List<BpfInsn> decode(byte[] bytes) {
    if (bytes.length % SIZE_BYTES != 0) {
      throw new IllegalArgumentException("length " + bytes.length + " is not a multiple of 8");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    List<BpfInsn> out = new ArrayList<>(bytes.length / SIZE_BYTES);
    while (b.hasRemaining()) {
      out.add(new BpfInsn(b.getShort() & 0xffff, b.get() & 0xff, b.get() & 0xff, b.getInt()));
    }
    return out;
  }

  @Override
  public String toString() {
    return String.format("{0x%02x, %d, %d, 0x%08x}", code, jt, jf, k);
  }
}
