package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Membership rules every backend relies on. */
class SandboxNetworkTest {

  @Test
  void membersNeedDistinctNamesAndShareOneIsolation() throws Exception {
    try (SandboxNetwork net = SandboxNetwork.create("rules")) {
      AutoCloseable web = net.join("web", Isolation.VM);
      assertEquals("hostname", assertThrows(InvalidSandboxSpecException.class,
          () -> net.join("web", Isolation.VM)).field());
      InvalidSandboxSpecException mixed = assertThrows(InvalidSandboxSpecException.class, () -> net.join("db"));
      assertEquals("network", mixed.field());
      assertTrue(mixed.getMessage().contains("VM (web)"), mixed.getMessage());
      assertEquals(Set.of("web"), net.members(), "a refused member left nothing behind");
      assertTrue(Files.readString(net.hostsFile()).contains("127.0.0.1\tweb\n"));

      web.close();
      web.close(); // idempotent
      AutoCloseable db = net.join("db");
      assertEquals(Set.of("db"), net.members(), "once the VM member left, a namespaces member may join");
      assertFalse(Files.readString(net.hostsFile()).contains("web"));
      db.close();
    }
  }

  @Test
  void aClosedNetworkTakesNoMember() {
    SandboxNetwork net = SandboxNetwork.create("closed");
    net.close();
    assertEquals("network", assertThrows(InvalidSandboxSpecException.class, () -> net.join("x")).field());
  }
}
