package dev.boxkit.sandbox.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Holds BoxKit's syscall table against the kernel headers installed on the host. */
class SeccompArchTest {
  @TempDir
  Path dir;

  @Test
  void x86_64NumbersMatchTheKernelHeaders() throws Exception {
    ExternalTools.requireHost(SeccompArch.host() == SeccompArch.X86_64, "needs an x86_64 host");
    check(SeccompArch.X86_64, "#include <asm/unistd_64.h>\n");
  }

  @Test
  void aarch64NumbersMatchTheGenericTable() throws Exception {
    // aarch64 uses asm-generic/unistd.h with 64-bit longs and clone3 wanted.
    String prelude = SeccompArch.host() == SeccompArch.AARCH64 ? "#include <asm/unistd.h>\n"
        : "#define __BITS_PER_LONG 64\n#define __ARCH_WANT_SYS_CLONE3\n#include <asm-generic/unistd.h>\n";
    check(SeccompArch.AARCH64, prelude);
  }

  @Test
  void auditArchValues() {
    // EM_X86_64 = 62, EM_AARCH64 = 183, | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000)
    assertEquals(62 | 0x80000000 | 0x40000000, SeccompArch.X86_64.auditArch());
    assertEquals(183 | 0x80000000 | 0x40000000, SeccompArch.AARCH64.auditArch());
    assertEquals(SeccompArch.AUDIT_ARCH_X86_64, SeccompArch.X86_64.auditArch());
    assertEquals(SeccompArch.AUDIT_ARCH_AARCH64, SeccompArch.AARCH64.auditArch());
  }

  private void check(SeccompArch arch, String prelude) throws Exception {
    Path gcc = ExternalTools.require("gcc", "gcc");
    StringBuilder c = new StringBuilder("#include <stdio.h>\n").append(prelude).append("int main(void) {\n");
    for (String name : SeccompArch.knownSyscalls()) {
      c.append("#ifdef __NR_").append(name).append('\n')
          .append("  printf(\"").append(name).append(" %d\\n\", (int) __NR_").append(name).append(");\n")
          .append("#endif\n");
    }
    c.append("  return 0;\n}\n");
    Path src = dir.resolve("nr.c");
    Path exe = dir.resolve("nr");
    Files.writeString(src, c);
    Process cc = new ProcessBuilder(gcc.toString(), "-o", exe.toString(), src.toString())
        .redirectErrorStream(true).start();
    String ccOut = new String(cc.getInputStream().readAllBytes());
    ExternalTools.requireHost(cc.waitFor() == 0, "kernel headers (Debian package linux-libc-dev): " + ccOut);
    Process run = new ProcessBuilder(exe.toString()).start();
    String out = new String(run.getInputStream().readAllBytes());
    assertEquals(0, run.waitFor());

    Map<String, Integer> fromHeaders = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        String[] f = line.split(" ");
        fromHeaders.put(f[0], Integer.parseInt(f[1]));
      }
    }
    List<String> mismatches = new ArrayList<>();
    fromHeaders.forEach((name, nr) -> {
      int ours = arch.syscallNumber(name).orElse(-1);
      if (ours != nr) {
        mismatches.add(name + ": table " + ours + ", headers " + nr);
      }
    });
    assertEquals(List.of(), mismatches);
    // Older headers lack the newest calls; almost all must still be checked.
    long onArch = SeccompArch.knownSyscalls().stream().filter(n -> arch.syscallNumber(n).isPresent()).count();
    assertTrue(fromHeaders.size() >= onArch - 3,
        "only " + fromHeaders.size() + " names found in the headers: " + fromHeaders.keySet());
    // Calls the table says the architecture lacks must be absent from its headers too.
    for (String name : SeccompArch.knownSyscalls()) {
      if (arch.syscallNumber(name).isEmpty()) {
        assertTrue(!fromHeaders.containsKey(name), name + " is in the headers");
      }
    }
  }
}
