package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The plan's shape: what runs in which order, and that its framing parses back. */
class PlanCompilerTest {
  private static final byte[] BPF = new byte[16];

  private static List<Op> ops(SandboxSpec spec, long uid) {
    return PlanCompiler.compile(spec, uid, uid, Optional.of(BPF)).ops();
  }

  @Test
  void privilegesAreDroppedInOrderAndSeccompComesLast() {
    List<Op> ops = ops(Sandbox.builder().command("/bin/true").build(), 0);
    assertEquals(Op.EXEC, ops.get(ops.size() - 1));
    assertEquals(Op.SECCOMP, ops.get(ops.size() - 2));
    assertTrue(ops.indexOf(Op.CAPS_BOUNDING) < ops.lastIndexOf(Op.SETIDS), "bounding set needs CAP_SETPCAP");
    assertTrue(ops.lastIndexOf(Op.SETIDS) < ops.indexOf(Op.CAPS_CLEAR));
    assertTrue(ops.indexOf(Op.CAPS_CLEAR) < ops.indexOf(Op.NO_NEW_PRIVS));
    assertTrue(ops.indexOf(Op.NO_NEW_PRIVS) < ops.indexOf(Op.SECCOMP), "seccomp needs no_new_privs");
    assertTrue(ops.indexOf(Op.OPEN_SOURCE) < ops.indexOf(Op.ROOT), "sources open before anything is mounted");
    assertTrue(ops.indexOf(Op.ROOT) < ops.indexOf(Op.PIVOT_ROOT));
    assertTrue(ops.indexOf(Op.PIVOT_ROOT) < ops.indexOf(Op.FORK_INIT));
    assertEquals(Op.WATCH_PARENT, ops.get(0));
  }

  @Test
  void rootMapsFullRangesFromTheMonitorOthersMapThemselves() {
    SandboxSpec spec = Sandbox.builder().command("/bin/true").build();
    List<Op> asRoot = ops(spec, 0);
    assertTrue(asRoot.indexOf(Op.UID_MAP) < asRoot.indexOf(Op.SYNC));
    assertEquals(-1, asRoot.indexOf(Op.SETGROUPS_DENY));
    List<Op> asUser = ops(spec, 1000);
    assertTrue(asUser.indexOf(Op.SYNC) < asUser.indexOf(Op.UID_MAP));
    assertTrue(asUser.indexOf(Op.SETGROUPS_DENY) < asUser.indexOf(Op.GID_MAP));
  }

  @Test
  void rootShiftsIdsAndIdmapsOnlyTheTreesTheSpecNames() {
    SandboxSpec spec = Sandbox.builder().command("/bin/true")
        .mount(dev.boxkit.sandbox.Mount.bind(java.nio.file.Path.of("/srv"), "/srv")).build();
    List<Op> asRoot = ops(spec, 0);
    assertEquals(1, asRoot.stream().filter(o -> o == Op.IDMAP).count(), "the bind, not the host root");
    assertTrue(asRoot.indexOf(Op.GID_MAP) < asRoot.indexOf(Op.IDMAP), "idmapping needs the maps");
    assertTrue(asRoot.indexOf(Op.IDMAP) < asRoot.indexOf(Op.SYNC));
    assertEquals(asRoot.indexOf(Op.SYNC) + 1, asRoot.indexOf(Op.SETIDS), "become the namespace's root");
    assertEquals(-1, ops(spec.toBuilder().hostIdentityMapping().build(), 0).indexOf(Op.IDMAP));
    assertEquals(-1, ops(spec, 1000).indexOf(Op.IDMAP), "without root nothing is idmapped");
    Plan plan = PlanCompiler.compile(spec, 0, 0, Optional.of(BPF));
    assertTrue(plan.describe(plan.ops().indexOf(Op.IDMAP)).contains("/srv"));
  }

  @Test
  void networkNoneMakesItsNamespaceBesideTheMountsHostDoesNot() {
    List<Op> none = ops(Sandbox.builder().command("/bin/true").build(), 0);
    assertEquals(none.indexOf(Op.CLONE) + 1, none.indexOf(Op.NEW_NET), "started right after the clone");
    assertTrue(none.indexOf(Op.ENTER_NET) > none.lastIndexOf(Op.BIND), "entered after the mounts");
    assertTrue(none.indexOf(Op.ENTER_NET) < none.indexOf(Op.PIVOT_ROOT));
    List<Op> host = ops(Sandbox.builder().command("/bin/true").network(NetworkMode.HOST).build(), 0);
    assertTrue(!host.contains(Op.NEW_NET) && !host.contains(Op.ENTER_NET) && !host.contains(Op.LOOPBACK_UP));
  }

  @Test
  void coversWithNothingMountedUnderThemAreReadOnlyFromTheStart() {
    Plan plain = PlanCompiler.compile(Sandbox.builder().command("/bin/true").build(), 0, 0, Optional.of(BPF));
    assertEquals(-1, plain.ops().indexOf(Op.REMOUNT_RO), "no remount needed");
    int tmp = describing(plain, "hide host /tmp ");
    assertTrue(plain.describe(tmp).contains("read-only"), plain.describe(tmp));
    // A mount point to create under /tmp: that cover is writable until the spec's mounts are done.
    Plan bound = PlanCompiler.compile(Sandbox.builder().command("/bin/true")
        .mount(Mount.bind(Path.of("/usr"), "/tmp/in")).build(), 0, 0, Optional.of(BPF));
    assertEquals(1, bound.ops().stream().filter(o -> o == Op.REMOUNT_RO).count());
    assertEquals("make /tmp read-only", bound.describe(bound.ops().indexOf(Op.REMOUNT_RO)));
    assertTrue(bound.ops().indexOf(Op.REMOUNT_RO) > describing(bound, "mount /usr -> /tmp/in"));
    assertTrue(!bound.describe(describing(bound, "hide host /tmp ")).contains("read-only"));
    assertTrue(bound.describe(describing(bound, "hide host /run ")).contains("read-only"));
  }

  private static int describing(Plan plan, String prefix) {
    for (int i = 0; i < plan.ops().size(); i++) {
      if (plan.describe(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no op \"" + prefix + "...\"");
  }

  @Test
  void workingDirUnderProcIsRefused() {
    SandboxSpec spec = Sandbox.builder().command("/bin/true").workingDir("/proc/self/fd/7").build();
    assertEquals("workingDir", assertThrows(InvalidSandboxSpecException.class,
        () -> PlanCompiler.compile(spec, 0, 0, Optional.empty())).field());
  }

  @Test
  void hostSourcesAreDeduplicatedInFirstUseOrder() {
    SandboxSpec spec = Sandbox.builder().command("/bin/true")
        .mount(Mount.bind(Path.of("/usr"), "/a")).mount(Mount.bind(Path.of("/usr"), "/b")).build();
    List<PlanSource> sources = PlanCompiler.hostSources(spec);
    assertEquals(PlanSource.host("/"), sources.get(0));
    assertEquals(1, sources.stream().filter(s -> s.path().equals("/usr")).count());
    assertTrue(sources.contains(PlanSource.host("/dev/null")));
  }

  @Property(tries = 50)
  void framingParsesBackOpByOp(@ForAll @IntRange(min = 0, max = 20) int binds) {
    SandboxSpec.Builder b = Sandbox.builder().command("/bin/echo", "ü", "");
    for (int i = 0; i < binds; i++) {
      b.mount(Mount.tmpfs("/t" + i, 4096 + i));
    }
    Plan plan = PlanCompiler.compile(b.build(), 1000, 1000, Optional.of(BPF));
    ByteBuffer buf = ByteBuffer.wrap(plan.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(Plan.MAGIC, buf.getInt());
    int length = buf.getInt();
    assertEquals(buf.remaining(), length);
    int i = 0;
    while (buf.hasRemaining()) {
      int head = buf.getInt();
      int len = buf.getInt();
      assertEquals(plan.ops().get(i++).code, head & 0xffff);
      buf.position(buf.position() + len);
    }
    assertEquals(plan.ops().size(), i);
  }
}
