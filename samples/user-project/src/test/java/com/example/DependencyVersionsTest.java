package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;

/**
 * In the build that replaces BoxKit's Commons Compress (-Dboxkit.it.commonsCompress=VERSION),
 * that version is the one loaded, so the other tests of that build ran BoxKit on it.
 */
class DependencyVersionsTest {
  @Test
  void theCommonsCompressAskedForIsTheOneLoaded() {
    String wanted = System.getProperty("boxkit.it.commonsCompress");
    assumeTrue(wanted != null && !wanted.isEmpty(), "only in the build with -Dboxkit.it.commonsCompress");
    assertEquals(wanted, TarArchiveEntry.class.getPackage().getImplementationVersion());
  }
}
