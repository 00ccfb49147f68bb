package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserResolverTest {
  @TempDir Path root;
  UserResolver resolver;

  @BeforeEach
  void files() throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n"
        + "app:x:1000:1001:App:/home/app:/bin/sh\n");
    Files.writeString(root.resolve("etc/group"), "root:x:0:\nstaff:x:50:\napp:x:1001:\n");
    resolver = new UserResolver(root);
  }

  private UserResolver.Ids resolve(String user) {
    return resolver.resolve(UserArg.parse(user));
  }

  @Test
  void namesAndNumbersResolveAsContainerRuntimesDo() {
    assertEquals(new UserResolver.Ids(1000, 1001), resolve("app"), "primary group from passwd");
    assertEquals(new UserResolver.Ids(1000, 50), resolve("app:staff"));
    assertEquals(new UserResolver.Ids(1000, 7), resolve("app:7"));
    assertEquals(new UserResolver.Ids(1000, 1001), resolve("1000"), "a known uid keeps its group");
    assertEquals(new UserResolver.Ids(4242, 0), resolve("4242"), "an unknown uid gets group 0");
    assertEquals(new UserResolver.Ids(4242, 50), resolve("4242:staff"));
  }

  @Test
  void unknownNamesAreNamed() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> resolve("nobody"));
    assertTrue(e.getMessage().contains("\"nobody\""), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> resolve("app:wheel"));
    assertTrue(e.getMessage().contains("\"wheel\""), e.getMessage());
    assertThrows(InvalidInputException.class, () -> resolve("99999999999"));
  }

  @Test
  void aPlantedSymlinkIsNotFollowedToTheHost() throws IOException {
    Files.delete(root.resolve("etc/passwd"));
    Path fake = Files.writeString(root.resolveSibling(root.getFileName() + "-host-passwd"), "host:x:7:7::/:/bin/sh\n");
    try {
      Files.createSymbolicLink(root.resolve("etc/passwd"), fake);
      assertThrows(InvalidInputException.class, () -> resolve("host"));
      assertEquals(new UserResolver.Ids(7, 0), resolve("7"), "the host's entry gives no group either");
    } finally {
      Files.delete(fake);
    }
  }
}
