package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleting a writable layer the sandbox shaped: mode-0 directories go, links lead nowhere. */
class OverlayCleanupTest {
  @TempDir Path tmp;

  @Test
  void deleteOpensUpLockedDirectoriesAndNeverTouchesWhatLinksPointTo() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "kept");
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("r-xr-xr-x"));
    Path layer = Files.createDirectories(tmp.resolve("layer/upper/a/locked"));
    Files.writeString(layer.resolve("f"), "x");
    Files.setPosixFilePermissions(layer, PosixFilePermissions.fromString("---------"));
    Files.createSymbolicLink(tmp.resolve("layer/upper/a/link"), outside);
    Files.createSymbolicLink(tmp.resolve("layer/upper/dirlink"), outside);

    OverlayRoot.delete(tmp.resolve("layer"));

    assertFalse(Files.exists(tmp.resolve("layer"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    assertEquals(List.of(outside.resolve("keep")), Files.list(outside).toList());
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
  }
}
