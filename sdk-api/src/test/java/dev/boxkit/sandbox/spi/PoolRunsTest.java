package dev.boxkit.sandbox.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A pool's checks of a run against its spec, and the cold-start pool every provider has. */
class PoolRunsTest {
  private final SandboxSpec pool = SandboxSpec.builder().command("/bin/true").env("PATH", "/bin").build();

  @Test
  void perRunFieldsMayDiffer() {
    SandboxSpec run = pool.toBuilder().command("/bin/echo", "x").env("EXTRA", "1").stdin(Stdio.pipe())
        .limits(ResourceLimits.builder().timeout(Duration.ofSeconds(3)).build()).build();
    assertSame(run, PoolRuns.check(pool, run));
    assertEquals(List.of("argv", "env", "stdin", "limits.timeout"), SandboxPool.PER_RUN_FIELDS);
  }

  @Test
  void everyOtherFieldIsRefusedByName() {
    Map<String, UnaryOperator<SandboxSpec.Builder>> changes = new LinkedHashMap<>();
    changes.put("root", b -> b.root(dev.boxkit.sandbox.Rootfs.directory(Path.of("/srv"))));
    changes.put("workingDir", b -> b.workingDir("/tmp"));
    changes.put("uid", b -> b.user(7, 0));
    changes.put("gid", b -> b.user(0, 7));
    changes.put("userName", b -> b.user("nobody"));
    changes.put("hostname", b -> b.hostname("other"));
    changes.put("mounts", b -> b.mount(Mount.tmpfs("/x", 4096)));
    changes.put("network", b -> b.network(NetworkMode.HOST));
    changes.put("limits.memoryBytes", b -> b.limits(ResourceLimits.builder().memoryBytes(1 << 26).build()));
    changes.put("limits.pidsMax", b -> b.limits(ResourceLimits.builder().pidsMax(9).build()));
    changes.put("limits.openFiles", b -> b.limits(ResourceLimits.builder().openFiles(9).build()));
    changes.put("stdout", b -> b.stdout(Stdio.discard()));
    changes.put("stderr", b -> b.stderr(Stdio.discard()));
    changes.put("captureLimitBytes", b -> b.captureLimitBytes(5));
    changes.put("dieWithParent", b -> b.dieWithParent(false));
    changes.put("ports", b -> b.publish(8080));
    changes.put("stdin", b -> b.stdin(Stdio.inherit()));
    changes.forEach((field, change) -> {
      SandboxSpec run = change.apply(pool.toBuilder()).build();
      assertEquals(field, assertThrows(InvalidSandboxSpecException.class, () -> PoolRuns.check(pool, run),
          field).field());
    });
  }

  @Test
  void sizeBelowOneIsRefused() {
    assertEquals(1, PoolRuns.checkSize(1));
    for (int size : new int[] {0, -1}) {
      assertEquals("size", assertThrows(InvalidSandboxSpecException.class, () -> PoolRuns.checkSize(size)).field());
    }
  }

  @Test
  void providersWithoutPoolsFallBackToColdStarts() {
    List<SandboxSpec> ran = new ArrayList<>();
    SandboxProvider cold = new SandboxProvider() {
      @Override
      public String name() {
        return "cold";
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.empty();
      }

      @Override
      public ExecResult run(SandboxSpec spec) {
        ran.add(spec);
        return new ExecResult(0, OptionalInt.empty(), new byte[0], new byte[0], Duration.ZERO,
            OptionalLong.empty(), false, false);
      }

      @Override
      public SandboxProcess start(SandboxSpec spec) {
        throw new UnsupportedOperationException();
      }
    };
    assertEquals("size", assertThrows(InvalidSandboxSpecException.class, () -> cold.pool(pool, 0)).field());
    SandboxPool p = cold.pool(pool, 2);
    assertInstanceOf(ColdStartPool.class, p);
    assertEquals(2, p.size());
    p.run("/bin/echo", "a");
    assertEquals(List.of("/bin/echo", "a"), ran.get(0).argv());
    assertEquals("hostname", assertThrows(InvalidSandboxSpecException.class,
        () -> p.run(pool.toBuilder().hostname("h").build())).field());
    assertEquals(1, ran.size(), "a refused run is not run");
    p.close();
    assertThrows(SandboxException.class, () -> p.run("/bin/true"));
  }
}
