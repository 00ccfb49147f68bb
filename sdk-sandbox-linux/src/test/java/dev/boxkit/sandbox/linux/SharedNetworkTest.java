package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxNetwork;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sandboxes on one network reach each other by name; a sandbox off the network reaches none. */
class SharedNetworkTest {
  @TempDir Path tmp;

  private SandboxSpec.Builder web(SandboxNetwork net) throws IOException {
    Path busybox = ExternalTools.require("busybox", "busybox-static");
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("index.html"), "page from web\n");
    return Sandboxes.sh("exec " + busybox + " httpd -f -p 127.0.0.1:8080 -h /srv")
        .mount(Mount.bind(www, "/srv")).network(net).hostname("web");
  }

  /** curl (dynamic, so it resolves through /etc/hosts) until the server answers. */
  private static final String FETCH = "for i in $(seq 1 100); do curl -fsS http://web:8080/index.html"
      + " 2>/dev/null && exit 0; sleep 0.1; done; curl -fsS http://web:8080/index.html";

  @Test
  void membersReachEachOtherByNameAndOthersDoNot() throws IOException {
    ExternalTools.require("curl", "curl");
    try (SandboxNetwork net = SandboxNetwork.create("it");
        SandboxProcess server = web(net).start()) {
      ExecResult client = Sandboxes.sh(FETCH).network(net).hostname("client").run();
      assertEquals("page from web\n", client.stdoutText(), client.stderrText());
      assertEquals(java.util.Set.of("web"), net.members(), "the client left when it ended");

      ExecResult outsider = Sandboxes.sh("curl -fsS -m 3 http://web:8080/ || echo NO-NAME;"
          + " curl -fsS -m 3 http://127.0.0.1:8080/ || echo NO-ROUTE").hostname("client").run();
      assertEquals("NO-NAME\nNO-ROUTE\n", outsider.stdoutText(), outsider.stderrText());

      ExecResult hosts = Sandboxes.sh("cat /etc/hosts; hostname").network(net).hostname("other").run();
      assertTrue(hosts.stdoutText().contains("127.0.0.1\tweb\n"), hosts.stdoutText());
      assertTrue(hosts.stdoutText().endsWith("other\n"), hosts.stdoutText());
    }
  }

  @Test
  void aMemberOfAnotherNetworkCannotReachThisOne() throws IOException {
    ExternalTools.require("curl", "curl");
    try (SandboxNetwork a = SandboxNetwork.create("a");
        SandboxNetwork b = SandboxNetwork.create("b");
        SandboxProcess server = web(a).start()) {
      // Wait for the server through a member of its own network first.
      assertEquals(0, Sandboxes.sh(FETCH).network(a).hostname("probe").run().exitCode());
      ExecResult r = Sandboxes.sh("curl -fsS -m 3 http://127.0.0.1:8080/ || echo NO-ROUTE")
          .network(b).hostname("client").run();
      assertEquals("NO-ROUTE\n", r.stdoutText(), r.stderrText());
    }
  }

  @Test
  void badMembershipIsRefused() throws IOException {
    Sandboxes.require();
    SandboxNetwork net = SandboxNetwork.create("dup");
    try (SandboxProcess first = Sandboxes.sh("sleep 30").network(net).hostname("db").start()) {
      InvalidSandboxSpecException dup = assertThrows(InvalidSandboxSpecException.class,
          () -> Sandboxes.sh("true").network(net).hostname("db").run());
      assertEquals("hostname", dup.field());
      assertEquals(0, Sandboxes.sh("true").network(net).hostname("db2").run().exitCode());
    }
    net.close();
    assertEquals("network", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").network(net)).field());
    assertEquals("network.name", assertThrows(InvalidSandboxSpecException.class,
        () -> SandboxNetwork.create("bad name")).field());
    assertNotEquals(null, net.toString());
  }
}
