package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The plan contract between {@link Op} and the helper's {@code enum op_code} / {@code op_names[]}
 * is kept in step by this test, not by hand: codes, step names and flag values match, and no
 * op-specific flag reuses the bit of PARENT, which the helper tests on every op.
 */
class PlanContractTest {
  private static String helperSource() throws IOException {
    return Files.readString(Path.of("src/main/c/boxkit-init.c"));
  }

  @Test
  void opCodesAndStepNamesMatchTheHelper() throws IOException {
    String c = helperSource();
    Matcher e = Pattern.compile("enum op_code \\{([^}]*)\\}", Pattern.DOTALL).matcher(c);
    assertTrue(e.find(), "enum op_code in the helper");
    List<String> codes = new ArrayList<>();
    for (String name : e.group(1).split(",")) {
      String n = name.replaceAll("=.*", "").trim();
      if (!n.isEmpty() && !n.equals("OP_COUNT")) {
        codes.add(n);
      }
    }
    Matcher names = Pattern.compile("op_names\\[OP_COUNT\\] = \\{([^}]*)\\}", Pattern.DOTALL).matcher(c);
    assertTrue(names.find(), "op_names[] in the helper");
    List<String> steps = new ArrayList<>();
    Matcher q = Pattern.compile("\"([^\"]*)\"").matcher(names.group(1));
    while (q.find()) {
      steps.add(q.group(1));
    }
    assertEquals("none", steps.get(0));
    assertEquals(codes.size() + 1, steps.size(), "one name per code, after \"none\"");
    assertEquals(Op.values().length, codes.size(), "as many ops in Java as in C");
    for (Op op : Op.values()) {
      // The enum starts at 1 and counts up: code N is the N-th entry.
      assertEquals("OP_" + op.name(), codes.get(op.code - 1), "code " + op.code);
      assertEquals(op.step, steps.get(op.code), "step name of " + op);
    }
  }

  @Test
  void flagsMatchTheHelperAndNeverReuseParent() throws IOException {
    String c = helperSource();
    Map<String, Integer> defines = new LinkedHashMap<>();
    Matcher d = Pattern.compile("#define (\\w+) (0x[0-9a-fA-F]+)u").matcher(c);
    while (d.find()) {
      defines.put(d.group(1), Integer.decode(d.group(2)));
    }
    Map<String, Integer> javaFlags = Map.ofEntries(
        Map.entry("OPF_PARENT", Op.PARENT),
        Map.entry("OPF_RECEIVED", Op.RECEIVED),
        Map.entry("OPF_SHALLOW", Op.SHALLOW),
        Map.entry("BIND_RO", Op.BIND_RO),
        Map.entry("BIND_NOSUID_NODEV", Op.BIND_NOSUID_NODEV),
        Map.entry("BIND_SRC_IN_ROOT", Op.BIND_SRC_IN_ROOT),
        Map.entry("BIND_IF_EXISTS", Op.BIND_IF_EXISTS),
        Map.entry("BIND_DEVICE", Op.BIND_DEVICE),
        Map.entry("CHDIR_CREATE", Op.CHDIR_CREATE),
        Map.entry("JOIN_USERNS", Op.JOIN_USERNS),
        Map.entry("KEEP_PLAN", Op.KEEP_PLAN),
        Map.entry("TMPFS_RO", Op.TMPFS_RO));
    javaFlags.forEach((name, value) -> assertEquals(defines.get(name), value, name));
    // Op flags ride in the op header's upper half, where the helper reads PARENT from every op.
    for (int headerFlag : new int[] {Op.RECEIVED, Op.SHALLOW, Op.CHDIR_CREATE, Op.KEEP_PLAN, Op.TMPFS_RO}) {
      assertEquals(0, headerFlag & Op.PARENT, "0x" + Integer.toHexString(headerFlag) + " reuses PARENT's bit");
    }
  }
}
