package dev.boxkit.sandbox.seccomp;

import dev.boxkit.oci.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * An immutable seccomp rule table that compiles to a classic BPF program for
 * {@code seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)} ({@code man 2 seccomp}).
 *
 * <p>Every compiled program first checks {@code seccomp_data.arch} and kills the process on any
 * other architecture; on x86_64 it fails x32 calls ({@code nr & 0x40000000}) with ENOSYS, as a
 * kernel built without x32 would. Then the call number is found by a binary search over the
 * numbers that have rules, and that call's rules are tried in order; the first that matches
 * decides; calls no rule matches are allowed. {@link #defaultDenyList()} is the table
 * documented in this package's summary.
 *
 * <p>Instances are built with {@link #builder()} or derived with {@link #toBuilder()}.
 */
public final class SeccompFilter {
  /** {@code CLONE_NEWNS}. */
  public static final int CLONE_NEWNS = 0x00020000;
  /**
   * Every namespace flag {@code clone(2)} accepts: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
   * NEWPID, NEWNET (the mask of Docker's default profile). CLONE_NEWTIME (0x80) is not a clone
   * flag: for {@code clone} those bits are the exit signal, which the kernel masks out.
   */
  public static final int CLONE_NAMESPACE_FLAGS = 0x7E020000;
  /** {@code TIOCSTI}: push a byte into a terminal's input queue. */
  public static final int TIOCSTI = 0x5412;
  /** {@code TIOCLINUX}: Linux console operations, including selection paste. */
  public static final int TIOCLINUX = 0x541C;
  /** {@code AF_VSOCK}: host/guest sockets that no network namespace contains. */
  public static final int AF_VSOCK = 40;
  /** {@code S_ISUID | S_ISGID}: mode bits that make an executable run as its owner or group. */
  public static final int SET_ID_BITS = 06000;
  /** {@code O_CREAT | __O_TMPFILE} (the same bits on x86_64 and aarch64): flags that take a mode. */
  public static final int CREATE_FLAGS = 0100 | 020000000;
  /** {@code personality(2)} values a program may set or query (as Docker allows). */
  static final int[] ALLOWED_PERSONALITIES = {
      0x0, // PER_LINUX
      0x0008, // PER_LINUX32
      0x20000, // UNAME26
      0x20008, // UNAME26 | PER_LINUX32
      0xffffffff, // query only
  };

  // seccomp_data offsets (include/uapi/linux/seccomp.h); args are little-endian u64.
  private static final int OFFSET_NR = 0;
  private static final int OFFSET_ARCH = 4;
  private static final int OFFSET_ARGS = 16;
  /** Calls checked one after another at a leaf of the compiled search tree. */
  private static final int LEAF_CALLS = 8;
  /** The farthest a conditional jump reaches ({@code jt} and {@code jf} are one byte). */
  private static final int MAX_JUMP = 255;

  private final List<SyscallRule> rules;

  private SeccompFilter(List<SyscallRule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * The default filter for sandboxed programs: see the table in this package's summary for each
   * call and why it is denied.
   *
   * @return the default deny list; everything not listed is allowed
   */
  public static SeccompFilter defaultDenyList() {
    Builder b = builder();
    // Loading code into, or replacing, the running kernel.
    for (String s : List.of("init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load")) {
      b.deny(s, SeccompAction.EPERM);
    }
    // Host-global state: clocks, power, swap, accounting, kernel log, quotas, raw I/O ports.
    for (String s : List.of("reboot", "swapon", "swapoff", "syslog", "acct", "settimeofday",
        "clock_settime", "clock_adjtime", "adjtimex", "quotactl", "quotactl_fd", "lookup_dcookie",
        "iopl", "ioperm")) {
      b.deny(s, SeccompAction.EPERM);
    }
    // The filesystem view and namespaces are fixed before the program runs.
    for (String s : List.of("mount", "umount2", "pivot_root", "chroot", "unshare", "setns")) {
      b.deny(s, SeccompAction.EPERM);
    }
    b.denyIf("clone", SeccompAction.EPERM, ArgCondition.anyBitsSet(0, CLONE_NAMESPACE_FLAGS));
    // clone3 passes its flags in memory the filter cannot read; ENOSYS makes libc use clone.
    b.enosys("clone3");
    for (String s : List.of("open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
        "mount_setattr", "open_tree_attr")) {
      b.enosys(s);
    }
    // Kernel attack surface that is not namespaced or has a long CVE history.
    for (String s : List.of("keyctl", "add_key", "request_key", "bpf", "userfaultfd",
        "perf_event_open", "open_by_handle_at", "name_to_handle_at", "uselib")) {
      b.deny(s, SeccompAction.EPERM);
    }
    for (String s : List.of("io_uring_setup", "io_uring_enter", "io_uring_register")) {
      b.enosys(s);
    }
    // Reading or writing other processes' memory and file descriptors.
    for (String s : List.of("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
        "kcmp")) {
      b.deny(s, SeccompAction.EPERM);
    }
    for (int p : ALLOWED_PERSONALITIES) {
      b.allowIf("personality", ArgCondition.equalTo(0, p));
    }
    b.deny("personality", SeccompAction.EPERM);
    // Typing into the controlling terminal (CVE-2017-5226 class), on the low 32 bits of the
    // request because the kernel ignores the high ones (CVE-2019-10063).
    b.denyIf("ioctl", SeccompAction.EPERM, ArgCondition.equalTo(1, TIOCSTI));
    b.denyIf("ioctl", SeccompAction.EPERM, ArgCondition.equalTo(1, TIOCLINUX));
    b.denyIf("socket", SeccompAction.EAFNOSUPPORT, ArgCondition.equalTo(0, AF_VSOCK));
    return b.build();
  }

  /**
   * The default deny list plus the set-id rule: no call may give a file the setuid or setgid
   * bit. For sandboxes that write into host trees (writable binds, a writable directory root):
   * a sandbox's files there outlive it, and {@code nosuid} guards only the sandbox's own view,
   * so a setuid file it wrote would run with its owner's privileges for any host user. The
   * mode argument is compared on its low 32 bits ({@code mode_t}/{@code umode_t}):
   * {@code chmod}, {@code fchmod}, {@code fchmodat}, {@code fchmodat2}, {@code mknod}, {@code
   * mknodat} and {@code creat} with {@code S_ISUID|S_ISGID} in the mode, and {@code open}/{@code
   * openat} with {@code O_CREAT} or {@code O_TMPFILE} and those bits, fail with EPERM; {@code
   * openat2}, whose mode lives in memory the filter cannot read, fails with ENOSYS so libc falls
   * back to {@code openat}. File capabilities need {@code CAP_SETFCAP}, which no sandboxed
   * program holds.
   *
   * @return a new filter; everything neither list denies is allowed
   */
  public static SeccompFilter noSetIdFiles() {
    return defaultDenyList().toBuilder().denySetIdModes().build();
  }

  /**
   * Only the set-id rule of {@link #noSetIdFiles()}, nothing else denied: for a VM guest, whose
   * own kernel is the boundary, when it writes into host directories through shared folders.
   *
   * @return a new filter
   */
  public static SeccompFilter setIdModesOnly() {
    return builder().denySetIdModes().build();
  }

  /** @return a builder with no rules: a filter that only checks the architecture */
  public static Builder builder() {
    return new Builder(List.of());
  }

  /** @return a builder holding this filter's rules, to extend or relax it */
  public Builder toBuilder() {
    return new Builder(rules);
  }

  /** @return the rules in the order they are tried; immutable */
  public List<SyscallRule> rules() {
    return rules;
  }

  /**
   * What this filter intends for one call, decided from the rule table directly (the compiled
   * program must agree; tests hold it to this).
   *
   * @param arch the architecture the filter is compiled for
   * @param auditArch {@code seccomp_data.arch} of the call
   * @param nr {@code seccomp_data.nr}
   * @param args the six arguments ({@code seccomp_data.args})
   * @return the action
   */
  public SeccompAction decide(SeccompArch arch, int auditArch, int nr, long[] args) {
    if (auditArch != arch.auditArch()) {
      return SeccompAction.killProcess();
    }
    if (arch == SeccompArch.X86_64 && Integer.compareUnsigned(nr, SeccompArch.X32_SYSCALL_BIT) >= 0) {
      return SeccompAction.errno(SeccompAction.ENOSYS);
    }
    for (SyscallRule r : rules) {
      OptionalInt n = arch.syscallNumber(r.syscall());
      if (n.isPresent() && n.getAsInt() == nr && r.matches(args)) {
        return r.action();
      }
    }
    return SeccompAction.allow();
  }

  /**
   * Compiles the table into a seccomp BPF program.
   *
   * @param arch the architecture whose numbers and {@code AUDIT_ARCH} to use; rules for calls the
   *     architecture lacks are left out
   * @return consecutive 8-byte little-endian {@code struct sock_filter} records, at most 4096
   * @throws InvalidInputException when the program would exceed the kernel's 4096 instructions
   */
  public byte[] compile(SeccompArch arch) {
    List<BpfInsn> p = new ArrayList<>();
    p.add(BpfInsn.stmt(BpfInsn.LD_W_ABS, OFFSET_ARCH));
    p.add(BpfInsn.jump(BpfInsn.JMP_JEQ_K, arch.auditArch(), 1, 0));
    p.add(BpfInsn.stmt(BpfInsn.RET_K, SeccompAction.killProcess().toReturnValue()));
    p.add(BpfInsn.stmt(BpfInsn.LD_W_ABS, OFFSET_NR));
    if (arch == SeccompArch.X86_64) {
      p.add(BpfInsn.jump(BpfInsn.JMP_JGE_K, SeccompArch.X32_SYSCALL_BIT, 0, 1));
      p.add(BpfInsn.stmt(BpfInsn.RET_K, SeccompAction.errno(SeccompAction.ENOSYS).toReturnValue()));
    }
    List<Map.Entry<Integer, List<SyscallRule>>> groups = new ArrayList<>(rulesByNumber(arch).entrySet());
    groups.sort((a, b) -> Integer.compareUnsigned(a.getKey(), b.getKey()));
    search(p, groups, 0, groups.size());
    if (p.size() > BpfVerifier.MAX_INSNS) {
      throw new InvalidInputException("rules", rules.size() + " rules",
          "compile to " + p.size() + " instructions, more than the kernel's " + BpfVerifier.MAX_INSNS);
    }
    BpfVerifier.verify(p);
    return BpfInsn.encode(p);
  }

  /**
   * A binary search over the call numbers {@code [lo, hi)} of {@code groups} (sorted, unsigned),
   * down to leaves of at most {@link #LEAF_CALLS} linear checks, as libseccomp's optimised trees
   * do. Loading a filter, the kernel runs it for every call number to find the calls it always
   * allows ({@code seccomp_cache_prepare}), so a linear list's length is paid about 450 times per
   * load: 190 µs for a 70-call list against 110 µs as a tree, measured. Every path ends in a
   * return: a call's block, or allow at the end of a leaf.
   */
  private static void search(List<BpfInsn> p, List<Map.Entry<Integer, List<SyscallRule>>> groups,
      int lo, int hi) {
    if (hi - lo <= LEAF_CALLS) {
      // A holds nr: blocks end in returns, so a failed match falls through with A unchanged.
      for (Map.Entry<Integer, List<SyscallRule>> e : groups.subList(lo, hi)) {
        List<BpfInsn> block = block(e.getValue());
        if (block.size() == 1) {
          p.add(BpfInsn.jump(BpfInsn.JMP_JEQ_K, e.getKey(), 0, 1));
        } else {
          p.add(BpfInsn.jump(BpfInsn.JMP_JEQ_K, e.getKey(), 1, 0));
          p.add(BpfInsn.stmt(BpfInsn.JMP_JA, block.size()));
        }
        p.addAll(block);
      }
      p.add(BpfInsn.stmt(BpfInsn.RET_K, SeccompAction.allow().toReturnValue()));
      return;
    }
    int mid = (lo + hi) >>> 1;
    List<BpfInsn> below = new ArrayList<>();
    search(below, groups, lo, mid);
    int pivot = groups.get(mid).getKey();
    if (below.size() <= MAX_JUMP) {
      p.add(BpfInsn.jump(BpfInsn.JMP_JGE_K, pivot, below.size(), 0));
    } else {
      // A conditional jump reaches 255 instructions at most; JA reaches any.
      p.add(BpfInsn.jump(BpfInsn.JMP_JGE_K, pivot, 0, 1));
      p.add(BpfInsn.stmt(BpfInsn.JMP_JA, below.size()));
    }
    p.addAll(below);
    search(p, groups, mid, hi);
  }

  /** Rules grouped by call number in first-appearance order, each group cut after its first catch-all. */
  private Map<Integer, List<SyscallRule>> rulesByNumber(SeccompArch arch) {
    Map<Integer, List<SyscallRule>> groups = new LinkedHashMap<>();
    for (SyscallRule r : rules) {
      OptionalInt nr = arch.syscallNumber(r.syscall());
      if (nr.isEmpty()) {
        continue;
      }
      List<SyscallRule> g = groups.computeIfAbsent(nr.getAsInt(), k -> new ArrayList<>());
      boolean closed = !g.isEmpty() && g.get(g.size() - 1).conditions().isEmpty();
      if (!closed) {
        g.add(r); // rules after a catch-all can never match
      }
    }
    return groups;
  }

  /** One call's rules: each rule's tests jump to the next rule on failure; ends in a return. */
  private static List<BpfInsn> block(List<SyscallRule> group) {
    List<BpfInsn> out = new ArrayList<>();
    for (SyscallRule r : group) {
      int len = 1;
      for (ArgCondition c : r.conditions()) {
        len += conditionLength(c);
      }
      int start = out.size();
      for (ArgCondition c : r.conditions()) {
        out.add(BpfInsn.stmt(BpfInsn.LD_W_ABS, OFFSET_ARGS + 8 * c.index()));
        if (c.op() != ArgCondition.Op.ANY_BITS_SET && c.mask() != 0xffffffff) {
          out.add(BpfInsn.stmt(BpfInsn.ALU_AND_K, c.mask()));
        }
        int toNextRule = len - (out.size() - start) - 1;
        switch (c.op()) {
          case MASKED_EQ:
            out.add(BpfInsn.jump(BpfInsn.JMP_JEQ_K, c.value(), 0, toNextRule));
            break;
          case MASKED_NE:
            out.add(BpfInsn.jump(BpfInsn.JMP_JEQ_K, c.value(), toNextRule, 0));
            break;
          default:
            out.add(BpfInsn.jump(BpfInsn.JMP_JSET_K, c.mask(), 0, toNextRule));
        }
      }
      out.add(BpfInsn.stmt(BpfInsn.RET_K, r.action().toReturnValue()));
    }
    if (!group.get(group.size() - 1).conditions().isEmpty()) {
      out.add(BpfInsn.stmt(BpfInsn.RET_K, SeccompAction.allow().toReturnValue()));
    }
    return out;
  }

  private static int conditionLength(ArgCondition c) {
    return c.op() != ArgCondition.Op.ANY_BITS_SET && c.mask() != 0xffffffff ? 3 : 2;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SeccompFilter && ((SeccompFilter) o).rules.equals(rules);
  }

  @Override
  public int hashCode() {
    return rules.hashCode();
  }

  @Override
  public String toString() {
    return "SeccompFilter" + rules;
  }

  /** Collects rules; each method returns this builder. Not thread-safe. */
  public static final class Builder {
    private final List<SyscallRule> rules;

    private Builder(List<SyscallRule> initial) {
      this.rules = new ArrayList<>(initial);
    }

    /**
     * Appends a rule.
     *
     * @param rule the rule, tried after those already added
     * @return this builder
     * @throws InvalidInputException when {@code rule} is null
     */
    public Builder rule(SyscallRule rule) {
      if (rule == null) {
        throw new InvalidInputException("rule", null, "must not be null");
      }
      rules.add(rule);
      return this;
    }

    /**
     * Fails every call of {@code syscall} with {@code errno}.
     *
     * @param syscall name from {@link SeccompArch#knownSyscalls()}
     * @param errno 1..4095, e.g. {@link SeccompAction#EPERM}
     * @return this builder
     * @throws InvalidInputException for an unknown name or errno out of range
     */
    public Builder deny(String syscall, int errno) {
      return rule(new SyscallRule(syscall, List.of(), SeccompAction.errno(errno)));
    }

    /**
     * Fails every call of {@code syscall} with ENOSYS, so callers fall back as on an older kernel.
     *
     * @param syscall name from {@link SeccompArch#knownSyscalls()}
     * @return this builder
     * @throws InvalidInputException for an unknown name
     */
    public Builder enosys(String syscall) {
      return deny(syscall, SeccompAction.ENOSYS);
    }

    /**
     * Fails calls of {@code syscall} whose arguments meet every condition.
     *
     * @param syscall name from {@link SeccompArch#knownSyscalls()}
     * @param errno 1..4095
     * @param conditions 1..6 tests on the low 32 bits of the arguments
     * @return this builder
     * @throws InvalidInputException for an unknown name, bad errno or no/too many conditions
     */
    public Builder denyIf(String syscall, int errno, ArgCondition... conditions) {
      requireConditions(conditions);
      return rule(new SyscallRule(syscall, Arrays.asList(conditions), SeccompAction.errno(errno)));
    }

    /**
     * Allows calls of {@code syscall} whose arguments meet every condition, before later rules
     * for the same call are tried (e.g. an allow-list followed by a catch-all deny).
     *
     * @param syscall name from {@link SeccompArch#knownSyscalls()}
     * @param conditions 1..6 tests on the low 32 bits of the arguments
     * @return this builder
     * @throws InvalidInputException for an unknown name or no/too many conditions
     */
    public Builder allowIf(String syscall, ArgCondition... conditions) {
      requireConditions(conditions);
      return rule(new SyscallRule(syscall, Arrays.asList(conditions), SeccompAction.allow()));
    }

    /**
     * Allows {@code syscall} unconditionally by removing every rule for it, e.g. to permit
     * {@code ptrace} for a debugger inside the sandbox.
     *
     * @param syscall name from {@link SeccompArch#knownSyscalls()}
     * @return this builder
     * @throws InvalidInputException for an unknown name
     */
    public Builder allow(String syscall) {
      new SyscallRule(syscall, List.of(), SeccompAction.allow()); // validates the name
      rules.removeIf(r -> r.syscall().equals(syscall));
      return this;
    }

    /**
     * Adds the set-id rule described at {@link SeccompFilter#noSetIdFiles()}.
     *
     * @return this builder
     */
    public Builder denySetIdModes() {
      denyIf("chmod", SeccompAction.EPERM, ArgCondition.anyBitsSet(1, SET_ID_BITS));
      denyIf("fchmod", SeccompAction.EPERM, ArgCondition.anyBitsSet(1, SET_ID_BITS));
      denyIf("fchmodat", SeccompAction.EPERM, ArgCondition.anyBitsSet(2, SET_ID_BITS));
      denyIf("fchmodat2", SeccompAction.EPERM, ArgCondition.anyBitsSet(2, SET_ID_BITS));
      denyIf("creat", SeccompAction.EPERM, ArgCondition.anyBitsSet(1, SET_ID_BITS));
      denyIf("mknod", SeccompAction.EPERM, ArgCondition.anyBitsSet(1, SET_ID_BITS));
      denyIf("mknodat", SeccompAction.EPERM, ArgCondition.anyBitsSet(2, SET_ID_BITS));
      denyIf("open", SeccompAction.EPERM, ArgCondition.anyBitsSet(1, CREATE_FLAGS),
          ArgCondition.anyBitsSet(2, SET_ID_BITS));
      denyIf("openat", SeccompAction.EPERM, ArgCondition.anyBitsSet(2, CREATE_FLAGS),
          ArgCondition.anyBitsSet(3, SET_ID_BITS));
      return enosys("openat2");
    }

    /** @return the filter holding the rules added so far */
    public SeccompFilter build() {
      return new SeccompFilter(rules);
    }

    private static void requireConditions(ArgCondition[] conditions) {
      if (conditions == null || conditions.length == 0) {
        throw new InvalidInputException("conditions", "[]",
            "at least one condition is needed; use deny() for an unconditional rule");
      }
    }
  }
}
