package dev.boxkit.sandbox.seccomp;

import static dev.boxkit.sandbox.seccomp.SeccompAction.EAFNOSUPPORT;
import static dev.boxkit.sandbox.seccomp.SeccompAction.ENOSYS;
import static dev.boxkit.sandbox.seccomp.SeccompAction.EPERM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SeccompFilterTest {
  /** The default list written out independently of {@link SeccompFilter#defaultDenyList()}. */
  private static final Map<String, Integer> UNCONDITIONALLY_DENIED = new LinkedHashMap<>();

  static {
    for (String s : List.of("keyctl", "add_key", "request_key", "bpf", "userfaultfd",
        "perf_event_open", "kexec_load", "kexec_file_load", "open_by_handle_at",
        "name_to_handle_at", "init_module", "finit_module", "delete_module", "mount", "umount2",
        "pivot_root", "chroot", "swapoff", "swapon", "reboot", "syslog", "acct", "settimeofday",
        "clock_settime", "clock_adjtime", "adjtimex", "quotactl", "quotactl_fd", "lookup_dcookie",
        "iopl", "ioperm", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
        "unshare", "setns", "kcmp", "uselib")) {
      UNCONDITIONALLY_DENIED.put(s, EPERM);
    }
    for (String s : List.of("clone3", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
        "fspick", "mount_setattr", "open_tree_attr", "io_uring_setup", "io_uring_enter",
        "io_uring_register")) {
      UNCONDITIONALLY_DENIED.put(s, ENOSYS);
    }
  }

  private static final long THREAD_FLAGS = 0x3d0f00L; // glibc pthread_create's clone flags
  private static final long FORK_FLAGS = 0x01200011L; // CHILD_SETTID | CHILD_CLEARTID | SIGCHLD

  private static int nr(SeccompArch arch, String name) {
    return arch.syscallNumber(name).getAsInt();
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void everyListedCallIsDeniedWithItsErrno(SeccompArch arch) {
    byte[] prog = SeccompFilter.defaultDenyList().compile(arch);
    UNCONDITIONALLY_DENIED.forEach((name, errno) -> {
      OptionalInt n = arch.syscallNumber(name);
      if (n.isPresent()) {
        assertEquals(SeccompAction.errno(errno),
            BpfInterpreter.action(prog, arch, n.getAsInt(), 1, 2, 3, 4, 5, 6), name);
      }
    });
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void ordinaryCallsAreAllowed(SeccompArch arch) {
    byte[] prog = SeccompFilter.defaultDenyList().compile(arch);
    for (String name : List.of("read", "write", "close", "openat", "mmap", "brk", "getpid",
        "execve", "exit", "exit_group", "wait4", "kill", "futex", "prctl", "seccomp")) {
      assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, name), 0, 0, 0), name);
    }
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "clone"), THREAD_FLAGS));
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "clone"), FORK_FLAGS));
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "ioctl"), 1, 0x5401)); // TCGETS
    for (long family : new long[] {1, 2, 10, 16}) { // AF_UNIX, AF_INET, AF_INET6, AF_NETLINK
      assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "socket"), family, 1, 0));
    }
    for (long persona : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) {
      assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "personality"), persona));
    }
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, 9999));
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void argumentRulesDeny(SeccompArch arch) {
    byte[] prog = SeccompFilter.defaultDenyList().compile(arch);
    SeccompAction eperm = SeccompAction.errno(EPERM);
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "ioctl"), 0, 0x5412));
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "ioctl"), 0, 0x1_0000_5412L));
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "ioctl"), 0, 0x541C));
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "clone"), 0x10000000L | 17)); // NEWUSER
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "clone"), THREAD_FLAGS | 0x00020000L));
    assertEquals(eperm, BpfInterpreter.action(prog, arch, nr(arch, "personality"), 0x0040000)); // ADDR_NO_RANDOMIZE
    assertEquals(SeccompAction.errno(EAFNOSUPPORT), BpfInterpreter.action(prog, arch, nr(arch, "socket"), 40, 1, 0));
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void otherArchitectureIsKilled(SeccompArch arch) {
    byte[] prog = SeccompFilter.defaultDenyList().compile(arch);
    SeccompArch other = arch == SeccompArch.X86_64 ? SeccompArch.AARCH64 : SeccompArch.X86_64;
    assertEquals(SeccompAction.killProcess(), BpfInterpreter.action(prog, other, nr(arch, "getpid")));
    assertEquals(SeccompAction.killProcess(),
        SeccompAction.fromReturnValue(BpfInterpreter.run(prog, 39, 0x40000003 /* i386 */, 0, new long[6])));
  }

  @Test
  void x32CallsFailWithEnosysOnX86_64() {
    byte[] prog = SeccompFilter.defaultDenyList().compile(SeccompArch.X86_64);
    assertEquals(SeccompAction.errno(ENOSYS),
        BpfInterpreter.action(prog, SeccompArch.X86_64, SeccompArch.X32_SYSCALL_BIT | 39));
    assertEquals(SeccompAction.errno(ENOSYS), BpfInterpreter.action(prog, SeccompArch.X86_64, -1));
  }

  @Test
  void programBytesHaveTheKernelLayout() {
    byte[] prog = SeccompFilter.builder().build().compile(SeccompArch.X86_64);
    // ld [4]; jeq #AUDIT_ARCH_X86_64, 1, 0; ret KILL_PROCESS; ld [0]; jge #X32, 0, 1; ret ERRNO(ENOSYS); ret ALLOW
    assertArrayEquals(new byte[] {
        0x20, 0, 0, 0, 4, 0, 0, 0,
        0x15, 0, 1, 0, 0x3e, 0, 0, (byte) 0xc0,
        0x06, 0, 0, 0, 0, 0, 0, (byte) 0x80,
        0x20, 0, 0, 0, 0, 0, 0, 0,
        0x35, 0, 0, 1, 0, 0, 0, 0x40,
        0x06, 0, 0, 0, 38, 0, 5, 0,
        0x06, 0, 0, 0, 0, 0, (byte) 0xff, 0x7f,
    }, prog);
  }

  @Test
  void relaxingAndExtendingTheDefault() {
    SeccompArch arch = SeccompArch.X86_64;
    SeccompFilter f = SeccompFilter.defaultDenyList().toBuilder().allow("ptrace").deny("getpid", 13).build();
    byte[] prog = f.compile(arch);
    assertEquals(SeccompAction.allow(), BpfInterpreter.action(prog, arch, nr(arch, "ptrace")));
    assertEquals(SeccompAction.errno(13), BpfInterpreter.action(prog, arch, nr(arch, "getpid")));
    assertEquals(SeccompAction.errno(EPERM), BpfInterpreter.action(prog, arch, nr(arch, "keyctl")));
    // The default is unchanged: filters are values.
    assertEquals(SeccompAction.errno(EPERM), BpfInterpreter.action(
        SeccompFilter.defaultDenyList().compile(arch), arch, nr(arch, "ptrace")));
  }

  @Test
  void badInputIsRejectedNamingTheField() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> SeccompFilter.builder().deny("no_such_call", EPERM));
    assertEquals("syscall", e.field());
    assertEquals("errno", assertThrows(InvalidInputException.class,
        () -> SeccompFilter.builder().deny("keyctl", 0)).field());
    assertEquals("errno", assertThrows(InvalidInputException.class,
        () -> SeccompFilter.builder().deny("keyctl", 4096)).field());
    assertEquals("index", assertThrows(InvalidInputException.class,
        () -> ArgCondition.equalTo(6, 1)).field());
    assertEquals("value", assertThrows(InvalidInputException.class,
        () -> new ArgCondition(0, ArgCondition.Op.MASKED_EQ, 0xff, 0x100)).field());
    assertEquals("conditions", assertThrows(InvalidInputException.class,
        () -> SeccompFilter.builder().denyIf("ioctl", EPERM)).field());
    assertEquals("os.arch", assertThrows(InvalidInputException.class,
        () -> SeccompArch.fromOsArch("riscv64")).field());
  }

  @Test
  void tooLongProgramIsRejected() {
    SeccompFilter.Builder b = SeccompFilter.builder();
    for (int i = 0; i < 1400; i++) {
      b.denyIf("ioctl", EPERM, ArgCondition.equalTo(1, i));
    }
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> b.build().compile(SeccompArch.X86_64));
    assertEquals("rules", e.field());
  }

  @Test
  void verifierRejectsWhatTheKernelWould() {
    BpfInsn ret = BpfInsn.stmt(BpfInsn.RET_K, 0x7fff0000);
    BpfVerifier.verify(List.of(ret));
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(List.of()));
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.jump(BpfInsn.JMP_JEQ_K, 1, 0, 1), ret))); // jf past the end
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.stmt(BpfInsn.JMP_JA, 5), ret)));
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.stmt(BpfInsn.LD_W_ABS, 0)))); // falls off the end
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.stmt(BpfInsn.LD_W_ABS, 64), ret))); // outside seccomp_data
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.stmt(BpfInsn.LD_W_ABS, 2), ret))); // unaligned
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(ret, ret))); // unreachable
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(
        List.of(BpfInsn.stmt(0x07 /* TAX */, 0), ret)));
    List<BpfInsn> tooLong = new ArrayList<>();
    for (int i = 0; i < 4096; i++) {
      tooLong.add(BpfInsn.stmt(BpfInsn.ALU_AND_K, 1));
    }
    tooLong.add(ret);
    assertThrows(IllegalStateException.class, () -> BpfVerifier.verify(tooLong));
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void aLargeTableSearchesWithLongJumpsAndAgreesForEveryCall(SeccompArch arch) {
    // Rules with conditions on every call: the tree's halves are longer than a conditional
    // jump reaches, so its JGE + JA form is used; every call number must still be decided right.
    SeccompFilter.Builder b = SeccompFilter.builder();
    for (String name : SeccompArch.knownSyscalls()) {
      b.denyIf(name, EPERM, new ArgCondition(0, ArgCondition.Op.MASKED_EQ, 0xff, 8),
          new ArgCondition(1, ArgCondition.Op.ANY_BITS_SET, 0x40, 0));
    }
    SeccompFilter f = b.build();
    byte[] prog = f.compile(arch);
    List<BpfInsn> insns = BpfInsn.decode(prog);
    BpfVerifier.verify(insns);
    boolean longJump = false;
    for (int i = 0; i + 1 < insns.size(); i++) {
      longJump |= insns.get(i).code() == BpfInsn.JMP_JGE_K && insns.get(i + 1).code() == BpfInsn.JMP_JA;
    }
    assertTrue(longJump, "no JGE + JA in a program of " + insns.size() + " instructions");
    for (long[] args : new long[][] {{8, 0x40, 0, 0, 0, 0}, {8, 0, 0, 0, 0, 0}, {9, 0x40, 0, 0, 0, 0}}) {
      for (int nr = 0; nr < 1024; nr++) {
        assertEquals(f.decide(arch, arch.auditArch(), nr, args),
            SeccompAction.fromReturnValue(BpfInterpreter.run(prog, nr, arch.auditArch(), 0, args)),
            "call " + nr);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(SeccompArch.class)
  void defaultProgramIsSmallAndVerified(SeccompArch arch) {
    byte[] prog = SeccompFilter.defaultDenyList().compile(arch);
    BpfVerifier.verify(BpfInsn.decode(prog));
    assertTrue(prog.length / 8 < 200, "length " + prog.length / 8);
    assertArrayEquals(prog, SeccompFilter.defaultDenyList().compile(arch), "deterministic");
  }

  @Test
  void hostArchitectureIsKnown() {
    String os = System.getProperty("os.arch");
    if (os.equals("amd64") || os.equals("aarch64")) {
      assertEquals(os.equals("amd64") ? SeccompArch.X86_64 : SeccompArch.AARCH64, SeccompArch.host());
    }
  }
}
