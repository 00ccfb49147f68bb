package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestPlanTest {
  @TempDir Path tmp;

  private SandboxSpec.Builder base() {
    return SandboxSpec.builder().root(Rootfs.directory(tmp)).command("/bin/sh", "-c", "echo hi");
  }

  /** Decodes a spec frame into "tag=value" strings, NULs shown as '|'. */
  private static List<String> records(byte[] frame) {
    List<String> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(frame);
    while (b.hasRemaining()) {
      char tag = (char) b.get();
      byte[] v = new byte[b.getInt()];
      b.get(v);
      out.add(tag + "=" + new String(v, StandardCharsets.UTF_8).replace('\0', '|'));
    }
    return out;
  }

  @Test
  void compilesTheSpecIntoGuestRecordsAndShares() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    GuestPlan plan = GuestPlan.compile(base().env("PATH", "/bin").workingDir("/tmp").user(1000, 100)
        .hostname("box").mount(Mount.bind(data, "/data")).mount(Mount.bind(data, "/out").readWrite())
        .mount(Mount.tmpfs("/tmp", 1 << 20))
        .limits(ResourceLimits.builder().memoryBytes(100_000_000).openFiles(64).build()).build());
    assertEquals(List.of("a=/bin/sh", "a=-c", "a=echo hi", "e=PATH=/bin", "w=/tmp", "h=box", "r=ro",
        "u=1000", "g=100", "n=64", "m=proc|/proc||rw", "m=dev|/dev||rw", "m=bind|/data|b0|ro",
        "m=bind|/out|b1|rw", "m=tmpfs|/tmp|1048576|rw"), records(plan.specFrame()).subList(0, 15));
    // A writable share: the set-id rule's filter goes to the guest, compiled for this machine.
    String filter = records(plan.specFrame()).get(15);
    assertTrue(filter.startsWith("S="), filter);
    assertEquals(16, records(plan.specFrame()).size());
    assertTrue(records(GuestPlan.compile(base().mount(Mount.bind(data, "/data")).build()).specFrame())
        .stream().noneMatch(r -> r.startsWith("S=")), "a read-only share gets no filter");
    assertEquals(List.of(data, data), plan.shares());
    assertEquals(96L << 20, plan.memoryBytes(), "100,000,000 bytes rounded up to whole MiB");
    assertEquals(tmp, plan.root().dir());
  }

  @Test
  void defaultMemoryIs512MiB() {
    assertEquals(512L << 20, GuestPlan.compile(base().build()).memoryBytes());
  }

  @Test
  void fieldsTheVmCannotHonourAreRejectedByName() throws IOException {
    rejectedByName();
  }

  @Test
  void publishedPortsNeedNoRecordAndAnAllowListGetsTheGuestsEgressListener() {
    List<String> plain = records(GuestPlan.compile(base().publish(8080).build()).specFrame());
    assertTrue(plain.stream().noneMatch(r -> r.startsWith("P=")), plain.toString());
    List<String> allow = records(GuestPlan.compile(base()
        .egress(dev.boxkit.sandbox.EgressPolicy.allow("example.org")).build()).specFrame());
    assertTrue(allow.contains("P=3128"), allow.toString());
  }

  private void rejectedByName() throws IOException {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    List<Object[]> cases = List.of(
        new Object[] {"root", base().root(Rootfs.hostReadOnly())},
        new Object[] {"root", base().root(Rootfs.directory(tmp).readWrite())},
        new Object[] {"network", base().network(NetworkMode.HOST)},
        new Object[] {"limits.pidsMax", base().limits(ResourceLimits.builder().pidsMax(10).build())},
        new Object[] {"limits.cpuQuotaMicros", base().limits(ResourceLimits.builder().cpuQuota(1000, 100_000).build())},
        new Object[] {"limits.memoryBytes", base().limits(ResourceLimits.builder().memoryBytes(32L << 20).build())},
        new Object[] {"mounts[2].source", base().mount(Mount.bind(file, "/f"))},
        new Object[] {"stdin", base().stdin(Stdio.inherit())},
        new Object[] {"devices", base().mount(Mount.device(java.nio.file.Path.of("/dev/fuse")))},
        new Object[] {"devices", base().device("nvidia.com/gpu=all")});
    for (Object[] c : cases) {
      SandboxSpec spec = ((SandboxSpec.Builder) c[1]).build();
      InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class, () -> GuestPlan.compile(spec));
      assertEquals(c[0], e.field(), e.getMessage());
    }
  }
}
