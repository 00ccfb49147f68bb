package dev.boxkit.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PlatformTest {
  @Test
  void parsesAndPrintsOsArchVariant() {
    Platform p = Platform.parse("linux/arm64/v8");
    assertEquals("linux", p.os());
    assertEquals("arm64", p.architecture());
    assertEquals("v8", p.variant());
    assertEquals("linux/arm64/v8", p.toString());
    assertEquals(Platform.LINUX_AMD64, Platform.parse("linux/amd64"));
    assertEquals("linux/amd64", Platform.LINUX_AMD64.toString());
  }

  @Test
  void normalisesUnameNames() {
    assertEquals(Platform.LINUX_AMD64, Platform.parse("linux/x86_64"));
    assertEquals(Platform.LINUX_ARM64, Platform.parse("Linux/aarch64"));
    assertEquals("v7", Platform.parse("linux/arm/7").variant());
    assertNull(Platform.of("linux", "amd64").variant());
  }

  @Test
  void hostIsNormalised() {
    Platform host = Platform.host();
    assertFalse(host.architecture().equals("x86_64") || host.architecture().equals("aarch64"));
    if (System.getProperty("os.name").equals("Linux")) {
      assertEquals("linux", host.os());
    }
  }

  @Test
  void matchesTreatsArm64WithoutVariantAsV8() {
    assertTrue(Platform.LINUX_ARM64.matches(Platform.parse("linux/arm64/v8")));
    assertTrue(Platform.parse("linux/arm64/v8").matches(Platform.LINUX_ARM64));
    assertFalse(Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7")));
    assertFalse(Platform.LINUX_AMD64.matches(Platform.LINUX_ARM64));
  }

  @Test
  void rejectsBadInputNamingThePlatform() {
    for (String bad : new String[] {"", "linux", "linux/", "/amd64", "linux/amd64/v8/x",
        "linux/am d64", "linux//v8"}) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> Platform.parse(bad));
      assertEquals("platform", e.field(), bad);
    }
    assertEquals("platform",
        assertThrows(InvalidInputException.class, () -> Platform.parse(null)).field());
    assertEquals("platform", assertThrows(InvalidInputException.class,
        () -> new Platform(null, "amd64", null, null, null)).field());
  }
}
