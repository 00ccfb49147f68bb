package dev.boxkit.sandbox.seccomp;

import dev.boxkit.oci.InvalidInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A CPU architecture a seccomp filter can be compiled for: its {@code AUDIT_ARCH_*} value (what
 * the kernel puts in {@code seccomp_data.arch}) and the numbers of the system calls BoxKit's
 * filters name.
 *
 * <p>Numbers come from the kernel's tables: x86_64 from
 * {@code arch/x86/entry/syscalls/syscall_64.tbl} (the 64-bit ABI, not x32), aarch64 from
 * {@code include/uapi/asm-generic/unistd.h} (aarch64 uses the generic table). A test checks both
 * against the host's installed kernel headers.
 */
public enum SeccompArch {
  /** x86_64 (amd64), {@code AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
  X86_64(0xC000003E, 0), // AUDIT_ARCH_X86_64
  /** aarch64 (arm64), {@code AUDIT_ARCH_AARCH64 = EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
  AARCH64(0xC00000B7, 1); // AUDIT_ARCH_AARCH64

  /** {@code AUDIT_ARCH_X86_64} from {@code include/uapi/linux/audit.h}. */
  public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
  /** {@code AUDIT_ARCH_AARCH64} from {@code include/uapi/linux/audit.h}. */
  public static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;

  /**
   * On x86_64, system calls with this bit set in {@code nr} use the x32 ABI, which shares
   * {@code AUDIT_ARCH_X86_64}: a filter must reject them or rules keyed on 64-bit numbers are
   * bypassed ({@code __X32_SYSCALL_BIT} in {@code arch/x86/include/uapi/asm/unistd.h}).
   */
  public static final int X32_SYSCALL_BIT = 0x40000000;

  private static final int ABSENT = -1;

  // name -> {x86_64, aarch64}; ABSENT where the architecture has no such call.
  private static final Map<String, int[]> TABLE = table(new Object[][] {
      // Ordinary calls (allowed; named by tests and by callers adding rules).
      {"read", 0, 63},
      {"write", 1, 64},
      {"close", 3, 57},
      {"openat", 257, 56},
      {"mmap", 9, 222},
      {"brk", 12, 214},
      {"ioctl", 16, 29},
      {"getpid", 39, 172},
      {"socket", 41, 198},
      {"clone", 56, 220},
      {"fork", 57, ABSENT},
      {"vfork", 58, ABSENT},
      {"execve", 59, 221},
      {"exit", 60, 93},
      {"wait4", 61, 260},
      {"kill", 62, 129},
      {"futex", 202, 98},
      {"exit_group", 231, 94},
      {"prctl", 157, 167},
      {"seccomp", 317, 277},
      {"personality", 135, 92},
      // Calls that set a file's mode (the setuid rule).
      {"open", 2, ABSENT},
      {"creat", 85, ABSENT},
      {"chmod", 90, ABSENT},
      {"fchmod", 91, 52},
      {"fchmodat", 268, 53},
      {"mknod", 133, ABSENT},
      {"mknodat", 259, 33},
      // Calls the default filter restricts.
      {"ptrace", 101, 117},
      {"syslog", 103, 116},
      {"uselib", 134, ABSENT},
      {"pivot_root", 155, 41},
      {"adjtimex", 159, 171},
      {"chroot", 161, 51},
      {"acct", 163, 89},
      {"settimeofday", 164, 170},
      {"mount", 165, 40},
      {"umount2", 166, 39},
      {"swapon", 167, 224},
      {"swapoff", 168, 225},
      {"reboot", 169, 142},
      {"iopl", 172, ABSENT},
      {"ioperm", 173, ABSENT},
      {"init_module", 175, 105},
      {"delete_module", 176, 106},
      {"quotactl", 179, 60},
      {"lookup_dcookie", 212, 18},
      {"clock_settime", 227, 112},
      {"kexec_load", 246, 104},
      {"add_key", 248, 217},
      {"request_key", 249, 218},
      {"keyctl", 250, 219},
      {"unshare", 272, 97},
      {"perf_event_open", 298, 241},
      {"name_to_handle_at", 303, 264},
      {"open_by_handle_at", 304, 265},
      {"clock_adjtime", 305, 266},
      {"setns", 308, 268},
      {"process_vm_readv", 310, 270},
      {"process_vm_writev", 311, 271},
      {"kcmp", 312, 272},
      {"finit_module", 313, 273},
      {"kexec_file_load", 320, 294},
      {"bpf", 321, 280},
      {"userfaultfd", 323, 282},
      // From 424 on, every architecture shares one numbering.
      {"io_uring_setup", 425, 425},
      {"io_uring_enter", 426, 426},
      {"io_uring_register", 427, 427},
      {"open_tree", 428, 428},
      {"move_mount", 429, 429},
      {"fsopen", 430, 430},
      {"fsconfig", 431, 431},
      {"fsmount", 432, 432},
      {"fspick", 433, 433},
      {"clone3", 435, 435},
      {"openat2", 437, 437},
      {"pidfd_getfd", 438, 438},
      {"mount_setattr", 442, 442},
      {"quotactl_fd", 443, 443},
      {"fchmodat2", 452, 452},
      {"open_tree_attr", 467, 467},
  });

  private final int auditArch;
  private final int column;

  SeccompArch(int auditArch, int column) {
    this.auditArch = auditArch;
    this.column = column;
  }

  /** @return the {@code AUDIT_ARCH_*} value the kernel reports in {@code seccomp_data.arch} */
  public int auditArch() {
    return auditArch;
  }

  /**
   * @param syscall a system call name as in the kernel tables, e.g. {@code "keyctl"}
   * @return its number on this architecture, or empty when this architecture has no such call
   *     (e.g. {@code iopl} on aarch64)
   * @throws InvalidInputException when the name is not in BoxKit's table (see {@link #knownSyscalls()})
   */
  public OptionalInt syscallNumber(String syscall) {
    int[] row = TABLE.get(syscall);
    if (row == null) {
      throw new InvalidInputException("syscall", syscall,
          "not in BoxKit's syscall table; known: " + TABLE.keySet());
    }
    int nr = row[column];
    return nr == ABSENT ? OptionalInt.empty() : OptionalInt.of(nr);
  }

  /** @return every system call name {@link #syscallNumber} knows, in table order */
  public static Set<String> knownSyscalls() {
    return Collections.unmodifiableSet(TABLE.keySet());
  }

  /**
   * @return the architecture of the running JVM, from the {@code os.arch} system property
   * @throws InvalidInputException when it is neither x86_64 nor aarch64
   */
  public static SeccompArch host() {
    return fromOsArch(System.getProperty("os.arch", ""));
  }

  /**
   * @param osArch a Java {@code os.arch} value: {@code amd64}/{@code x86_64} or {@code aarch64}/{@code arm64}
   * @return the matching architecture
   * @throws InvalidInputException for any other value
   */
  public static SeccompArch fromOsArch(String osArch) {
    switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64":
      case "x86_64":
        return X86_64;
      case "aarch64":
      case "arm64":
        return AARCH64;
      default:
        throw new InvalidInputException("os.arch", osArch,
            "seccomp filters are supported on x86_64 and aarch64 only");
    }
  }

  private static Map<String, int[]> table(Object[][] rows) {
    Map<String, int[]> m = new LinkedHashMap<>();
    for (Object[] r : rows) {
      if (m.put((String) r[0], new int[] {(Integer) r[1], (Integer) r[2]}) != null) {
        throw new IllegalStateException("duplicate syscall " + r[0]);
      }
    }
    return Collections.unmodifiableMap(m);
  }
}
