package dev.boxkit.sandbox.linux.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.boxkit.oci.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CgroupLimitsTest {
  @Test
  void rangesAreChecked() {
    assertEquals("memoryBytes", assertThrows(InvalidInputException.class,
        () -> CgroupLimits.builder().memoryBytes(-1).build()).field());
    assertEquals("pidsMax", assertThrows(InvalidInputException.class,
        () -> new CgroupLimits(0, -5, 0, 0)).field());
    assertEquals("cpuQuotaMicros", assertThrows(InvalidInputException.class,
        () -> CgroupLimits.builder().cpu(999, 0).build()).field());
    assertEquals("cpuPeriodMicros", assertThrows(InvalidInputException.class,
        () -> CgroupLimits.builder().cpu(50_000, 2_000_000).build()).field());
    assertEquals("cpuPeriodMicros", assertThrows(InvalidInputException.class,
        () -> CgroupLimits.builder().cpu(0, 100_000).build()).field());
    assertEquals(100_000, CgroupLimits.builder().cpu(50_000, 0).build().effectiveCpuPeriodMicros());
    assertEquals(new CgroupLimits(0, 0, 0, 0), CgroupLimits.UNLIMITED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "..", "../x", "a..b", ".hidden", "sp ace", "new\nline", "é"})
  void badNamesAreRejected(String name) {
    assertEquals("name", assertThrows(InvalidInputException.class, () -> CgroupNames.check(name)).field());
  }

  @Test
  void goodNamesPass() {
    CgroupNames.check("boxkit-1234_abc.scope");
    CgroupNames.check("x".repeat(128));
    assertThrows(InvalidInputException.class, () -> CgroupNames.check("x".repeat(129)));
    assertThrows(InvalidInputException.class, () -> CgroupNames.check(null));
  }
}
