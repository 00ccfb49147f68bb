package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxNetwork;
import dev.boxkit.testing.ExternalTools;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Services on a class-scoped shared network: a test's client reaches a service by name, as in a
 * compose file, with no host network and no published port.
 */
@BoxKitTest
class SharedNetworkServiceTest {
  static SandboxNetwork net;

  @BeforeAll
  static void network() {
    net = SandboxNetwork.create("it");
  }

  @AfterAll
  static void close() {
    net.close();
  }

  @Test
  void aClientReachesAServiceByName(@Sandboxed TestSandbox box) {
    ExternalTools.require("curl", "curl");
    box.startService(box.spec("perl", "-e", SandboxServiceTest.PERL_HTTPD, "8080").network(net).hostname("web")
            .build(),
        Readiness.command("curl", "-fsS", "-o", "/dev/null", "http://web:8080/"), Duration.ofSeconds(30));
    ExecResult r = box.run(box.spec("curl", "-fsS", "http://web:8080/").network(net).hostname("client").build());
    assertEquals("hello from the sandbox\n", r.stdoutText(), r.stderrText());
  }
}
