package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * The writable-tree id map is a valid {@code uid_map} (disjoint ranges on both sides, at most
 * 340 lines), never maps host id 0, and gives the tree's owner to the program's id.
 */
class WritableIdMapProperties {
  private static final long B = PlanCompiler.SHIFTED_BASE;

  private static List<long[]> parse(String lines) {
    List<long[]> out = new ArrayList<>();
    for (String l : lines.split("\n")) {
      String[] f = l.split(" ");
      out.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])});
    }
    return out;
  }

  /** Where disk id {@code d} lands in the sandbox's kernel ids, or -1 when unmapped. */
  private static long kernelOf(List<long[]> map, long d) {
    for (long[] r : map) {
      if (d >= r[0] && d < r[0] + r[2]) {
        return r[1] + (d - r[0]);
      }
    }
    return -1;
  }

  private static void assertDisjoint(List<long[]> map, int side) {
    for (int i = 0; i < map.size(); i++) {
      assertTrue(map.get(i)[2] > 0, "empty range");
      for (int j = i + 1; j < map.size(); j++) {
        long[] a = map.get(i);
        long[] b = map.get(j);
        assertTrue(a[side] + a[2] <= b[side] || b[side] + b[2] <= a[side],
            "overlap on side " + side + ": " + a[side] + "+" + a[2] + " / " + b[side] + "+" + b[2]);
      }
    }
  }

  @Property
  void validNeverRootAndTheOwnerIsTheProgram(
      @ForAll @LongRange(min = 1, max = 0xFFFF_FFFEL) long owner,
      @ForAll @LongRange(min = 0, max = 65535) long inside) {
    List<long[]> map = parse(new WritableIdMap(owner, inside).lines());
    assertTrue(map.size() <= 340, "the kernel takes at most 340 lines");
    assertDisjoint(map, 0);
    assertDisjoint(map, 1);
    assertEquals(-1, kernelOf(map, 0), "host id 0 is in no line");
    assertEquals(B + inside, kernelOf(map, owner), "the owner is the program inside");
    for (long[] r : map) {
      assertTrue(r[1] >= B && r[1] + r[2] <= B + PlanCompiler.SHIFTED_COUNT,
          "only the sandbox's own kernel ids appear");
    }
  }

  @Property
  void otherSandboxIdsWriteAsTheirShiftedIds(
      @ForAll @LongRange(min = 1, max = 100_000) long owner,
      @ForAll @LongRange(min = 0, max = 65535) long inside,
      @ForAll @LongRange(min = 0, max = 65535) long other) {
    List<long[]> map = parse(new WritableIdMap(owner, inside).lines());
    if (other != inside && B + other != owner) {
      assertEquals(B + other, kernelOf(map, B + other), "sandbox id " + other);
    }
  }

  @Example
  void aTypicalProjectDirectory() {
    assertEquals("1000 1879048192 1\n1879048193 1879048193 65535\n", new WritableIdMap(1000, 0).lines());
    assertFalse(new WritableIdMap(1000, 1000).lines().contains("\n1000 "));
  }
}
