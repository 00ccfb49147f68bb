package dev.boxkit.sandbox.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

class SeccompFilterPropertiesTest {
  private static final List<String> NAMES = new ArrayList<>(SeccompArch.knownSyscalls());

  @Property(tries = 2000)
  void defaultProgramAgreesWithRuleTable(@ForAll SeccompArch arch, @ForAll("nr") int nr,
      @ForAll("args") long[] args, @ForAll boolean wrongArch) {
    SeccompFilter f = SeccompFilter.defaultDenyList();
    int audit = wrongArch ? arch.auditArch() ^ 1 : arch.auditArch();
    int ret = BpfInterpreter.run(f.compile(arch), nr, audit, 0, args);
    assertEquals(f.decide(arch, audit, nr, args), SeccompAction.fromReturnValue(ret));
  }

  @Property(tries = 300)
  void anyFilterCompilesToAVerifiedProgramThatAgreesWithItsTable(@ForAll("filters") SeccompFilter f,
      @ForAll SeccompArch arch, @ForAll("nr") int nr, @ForAll("args") long[] args) {
    byte[] prog = f.compile(arch);
    BpfVerifier.verify(BpfInsn.decode(prog));
    assertTrue(prog.length / BpfInsn.SIZE_BYTES < BpfVerifier.MAX_INSNS);
    int ret = BpfInterpreter.run(prog, nr, arch.auditArch(), 0, args);
    assertEquals(f.decide(arch, arch.auditArch(), nr, args), SeccompAction.fromReturnValue(ret));
    // Every rule's own syscall with matching-looking args is decided as the table says too.
    for (SyscallRule r : f.rules()) {
      arch.syscallNumber(r.syscall()).ifPresent(n -> assertEquals(
          f.decide(arch, arch.auditArch(), n, args),
          SeccompAction.fromReturnValue(BpfInterpreter.run(prog, n, arch.auditArch(), 0, args))));
    }
  }

  @Property(tries = 500)
  void wrongArchitectureAlwaysKills(@ForAll SeccompArch arch, @ForAll int audit, @ForAll int nr,
      @ForAll("args") long[] args) {
    if (audit == arch.auditArch()) {
      return;
    }
    int ret = BpfInterpreter.run(SeccompFilter.defaultDenyList().compile(arch), nr, audit, 0, args);
    assertEquals(SeccompAction.killProcess(), SeccompAction.fromReturnValue(ret));
  }

  @Property(tries = 500)
  void x32BitIsAlwaysDenied(@ForAll int nr, @ForAll("args") long[] args) {
    int x32 = nr | SeccompArch.X32_SYSCALL_BIT;
    int ret = BpfInterpreter.run(SeccompFilter.defaultDenyList().compile(SeccompArch.X86_64), x32,
        SeccompArch.X86_64.auditArch(), 0, args);
    assertEquals(SeccompAction.errno(SeccompAction.ENOSYS), SeccompAction.fromReturnValue(ret));
  }

  @Property(tries = 500)
  void terminalInjectionIsDeniedWhateverTheHighBits(@ForAll SeccompArch arch, @ForAll int high,
      @ForAll boolean linux, @ForAll("args") long[] args) {
    args[1] = ((long) high << 32) | (linux ? SeccompFilter.TIOCLINUX : SeccompFilter.TIOCSTI);
    assertEquals(SeccompAction.errno(SeccompAction.EPERM), BpfInterpreter.action(
        SeccompFilter.defaultDenyList().compile(arch), arch, arch.syscallNumber("ioctl").getAsInt(), args));
  }

  @Property(tries = 500)
  void cloneWithAnyNamespaceFlagIsDenied(@ForAll SeccompArch arch, @ForAll long flags,
      @ForAll @IntRange(min = 0, max = 31) int bit) {
    if ((SeccompFilter.CLONE_NAMESPACE_FLAGS & (1 << bit)) == 0) {
      return;
    }
    assertEquals(SeccompAction.errno(SeccompAction.EPERM), BpfInterpreter.action(
        SeccompFilter.defaultDenyList().compile(arch), arch, arch.syscallNumber("clone").getAsInt(),
        flags | (1L << bit)));
  }

  @Property(tries = 500)
  void cloneWithoutNamespaceFlagsIsAllowed(@ForAll SeccompArch arch, @ForAll long flags) {
    long plain = flags & ~(long) SeccompFilter.CLONE_NAMESPACE_FLAGS;
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(
        SeccompFilter.defaultDenyList().compile(arch), arch, arch.syscallNumber("clone").getAsInt(), plain));
  }

  @Provide
  Arbitrary<Integer> nr() {
    Arbitrary<Integer> known = Arbitraries.of(NAMES).flatMap(n -> Arbitraries.of(
        SeccompArch.X86_64.syscallNumber(n).orElse(0), SeccompArch.AARCH64.syscallNumber(n).orElse(0)));
    return Arbitraries.frequencyOf(
        Tuple.of(6, known),
        Tuple.of(2, Arbitraries.integers().between(0, 600)),
        Tuple.of(1, Arbitraries.integers()),
        Tuple.of(1, known.map(n -> n | SeccompArch.X32_SYSCALL_BIT)));
  }

  @Provide
  Arbitrary<long[]> args() {
    Arbitrary<Long> interesting = Arbitraries.of(0L, 1L, 8L, 40L, 0x5412L, 0x541CL, 0xffffffffL,
        0x20000L, 0x40000L, 0x10000000L, 0x3d0f00L, 0x01200011L);
    Arbitrary<Long> arg = Arbitraries.frequencyOf(
        Tuple.of(3, interesting),
        Tuple.of(2, Combinators.combine(interesting, Arbitraries.integers())
            .as((low, high) -> ((long) high << 32) | low)),
        Tuple.of(2, Arbitraries.longs()));
    return arg.array(long[].class).ofSize(6);
  }

  @Provide
  Arbitrary<SeccompFilter> filters() {
    Arbitrary<ArgCondition> cond = Combinators.combine(
        Arbitraries.integers().between(0, 5), Arbitraries.of(ArgCondition.Op.class),
        Arbitraries.of(0xffffffff, 0xff, 0x7E020000, 0x0000ffff), Arbitraries.of(0, 1, 8, 40, 0x5412, 0x541C))
        .as((i, op, mask, v) -> op == ArgCondition.Op.ANY_BITS_SET
            ? new ArgCondition(i, op, mask, 0) : new ArgCondition(i, op, mask, v & mask));
    Arbitrary<SeccompAction> action = Arbitraries.oneOf(
        Arbitraries.just(SeccompAction.allow()), Arbitraries.just(SeccompAction.killProcess()),
        Arbitraries.integers().between(1, 4095).map(SeccompAction::errno));
    Arbitrary<SyscallRule> rule = Combinators.combine(Arbitraries.of(NAMES),
        cond.list().ofMaxSize(SyscallRule.MAX_CONDITIONS), action).as(SyscallRule::new);
    return rule.list().ofMaxSize(60).map(rules -> {
      SeccompFilter.Builder b = SeccompFilter.builder();
      rules.forEach(b::rule);
      return b.build();
    });
  }
}
