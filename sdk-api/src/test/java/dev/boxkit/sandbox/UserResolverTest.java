package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserResolverTest {
  @TempDir
  Path root;

  @BeforeEach
  void writeFiles() throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "# comment line\n"
        + "root:x:0:0:root:/root:/bin/sh\n"
        + "app:x:1234:2345::/home/app:/bin/sh\n"
        + "broken:x:12a:1::/:/bin/sh\n");
    Files.writeString(root.resolve("etc/group"), "root:x:0:\nstaff:x:777:app\n");
  }

  private UserResolver.Ids resolve(String user) {
    return UserResolver.resolve(user, root);
  }

  @Test
  void namesAndNumbersInEveryForm() {
    assertEquals(new UserResolver.Ids(0, 0), resolve(""));
    assertEquals(new UserResolver.Ids(0, 0), resolve(null));
    assertEquals(new UserResolver.Ids(1234, 2345), resolve("app"), "primary group from passwd");
    assertEquals(new UserResolver.Ids(1234, 2345), resolve("1234"), "a listed uid gets its group");
    assertEquals(new UserResolver.Ids(4321, 0), resolve("4321"), "an unlisted uid gets group 0");
    assertEquals(new UserResolver.Ids(1234, 777), resolve("app:staff"));
    assertEquals(new UserResolver.Ids(1234, 5), resolve("app:5"));
    assertEquals(new UserResolver.Ids(9, 777), resolve("9:staff"));
    assertEquals(new UserResolver.Ids(9, 8), UserResolver.resolve("9:8", null), "numbers need no files");
  }

  @Test
  void unknownNamesAndBadSpecsNameTheField() {
    for (String bad : new String[] {"nobody", "app:wheel", ":5", "5:", "broken", "4294967295"}) {
      InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
          () -> resolve(bad), bad);
      assertEquals("user", e.field(), bad);
    }
    assertThrows(InvalidSandboxSpecException.class, () -> UserResolver.resolve("app", null));
  }

  @Test
  void aPlantedLinkIsNotFollowed() throws IOException {
    Files.delete(root.resolve("etc/passwd"));
    Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("/etc/passwd"));
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> resolve("root"));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void missingFilesResolveOnlyNumbers() throws IOException {
    Files.delete(root.resolve("etc/passwd"));
    assertEquals(new UserResolver.Ids(7, 0), resolve("7"));
    assertThrows(InvalidSandboxSpecException.class, () -> resolve("app"));
  }
}
