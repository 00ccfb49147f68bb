package dev.boxkit.oci.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.Version;
import com.fasterxml.jackson.databind.cfg.PackageVersion;
import dev.boxkit.oci.IncompatibleDependencyException;
import org.junit.jupiter.api.Test;

/**
 * BoxKit needs jackson-databind 2.18 (with 2.17, records lose their unknown JSON fields, so
 * manifests would not round-trip): an older one is named, with the minimum, on first use.
 */
class JacksonVersionCheckTest {
  private static Version databind(int major, int minor, int patch) {
    return new Version(major, minor, patch, null, "com.fasterxml.jackson.core", "jackson-databind");
  }

  @Test
  void olderThan218IsRefusedNamingTheVersionFoundAndTheMinimum() {
    for (Version old : new Version[] {databind(2, 15, 4), databind(2, 17, 2), databind(1, 9, 13)}) {
      IncompatibleDependencyException e = OciJson.checkJackson(old).orElseThrow();
      assertEquals("com.fasterxml.jackson.core:jackson-databind", e.artifact());
      assertEquals(old.toString(), e.found());
      assertEquals("2.18", e.minimum());
      assertTrue(e.getMessage().startsWith("com.fasterxml.jackson.core:jackson-databind " + old
          + " is on the class path, but BoxKit needs 2.18 or later"), e.getMessage());
    }
  }

  @Test
  void from218OnItIsAccepted() {
    assertTrue(OciJson.checkJackson(databind(2, 18, 0)).isEmpty());
    assertTrue(OciJson.checkJackson(databind(2, 22, 3)).isEmpty());
    assertTrue(OciJson.checkJackson(PackageVersion.VERSION).isEmpty(), PackageVersion.VERSION.toString());
  }
}
