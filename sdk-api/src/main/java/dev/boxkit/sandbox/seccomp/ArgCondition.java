package dev.boxkit.sandbox.seccomp;

import dev.boxkit.oci.InvalidInputException;

/**
 * A test on the low 32 bits of one system call argument ({@code seccomp_data.args[index]}).
 *
 * <p>Only the low 32 bits are compared, on purpose: every argument BoxKit matches is an
 * {@code int} or {@code unsigned int} to the kernel ({@code ioctl}'s request, {@code clone}'s
 * flags after {@code lower_32_bits()}, {@code personality}, {@code socket}'s family), which
 * ignores the high bits. A 64-bit comparison would let a caller slip past by setting them, as in
 * CVE-2019-10063 ({@code TIOCSTI | 1L << 32}).
 *
 * @param index argument number, 0..5
 * @param op how the argument is compared
 * @param mask bits of the argument that take part (32-bit)
 * @param value for {@link Op#MASKED_EQ}/{@link Op#MASKED_NE}, what {@code arg & mask} is compared with
 */
public record ArgCondition(int index, Op op, int mask, int value) {

  /** How an argument is compared. */
  public enum Op {
    /** {@code (arg & mask) == value}. */
    MASKED_EQ,
    /** {@code (arg & mask) != value}. */
    MASKED_NE,
    /** {@code (arg & mask) != 0}: any of the mask's bits is set ({@code value} must be 0). */
    ANY_BITS_SET
  }

  /** Checks the index and that {@code value} fits within {@code mask}. */
  public ArgCondition {
    if (index < 0 || index > 5) {
      throw new InvalidInputException("index", Integer.toString(index), "must be in 0..5");
    }
    if (op == null) {
      throw new InvalidInputException("op", null, "must not be null");
    }
    if (op == Op.ANY_BITS_SET ? value != 0 || mask == 0 : (value & ~mask) != 0) {
      throw new InvalidInputException("value", Integer.toHexString(value),
          op == Op.ANY_BITS_SET ? "must be 0 with a non-zero mask for ANY_BITS_SET"
              : "has bits outside mask " + Integer.toHexString(mask) + ", so it can never match");
    }
  }

  /**
   * @param index argument number, 0..5
   * @param value the exact low 32 bits to match
   * @return {@code (int) arg == value}
   */
  public static ArgCondition equalTo(int index, int value) {
    return new ArgCondition(index, Op.MASKED_EQ, 0xffffffff, value);
  }

  /**
   * @param index argument number, 0..5
   * @param value the low 32 bits that do not match
   * @return {@code (int) arg != value}
   */
  public static ArgCondition notEqualTo(int index, int value) {
    return new ArgCondition(index, Op.MASKED_NE, 0xffffffff, value);
  }

  /**
   * @param index argument number, 0..5
   * @param flags a non-zero set of flag bits
   * @return {@code (arg & flags) != 0}
   */
  public static ArgCondition anyBitsSet(int index, int flags) {
    return new ArgCondition(index, Op.ANY_BITS_SET, flags, 0);
  }

  /**
   * Evaluates the condition directly (the reference the compiled program is tested against).
   *
   * @param args the six 64-bit arguments
   * @return whether the condition holds
   */
  public boolean test(long[] args) {
    int low = (int) args[index];
    switch (op) {
      case MASKED_EQ:
        return (low & mask) == value;
      case MASKED_NE:
        return (low & mask) != value;
      default:
        return (low & mask) != 0;
    }
  }
}
