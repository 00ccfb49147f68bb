package dev.boxkit.sandbox.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.cdi.CdiRegistry;
import dev.boxkit.sandbox.cdi.CdiRequest;
import dev.boxkit.sandbox.cdi.CdiSpec;
import dev.boxkit.sandbox.cdi.InvalidCdiSpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CDI devices applied to a spec (CDI SPEC.md "OCI Edits"): spec-level and device-level edits,
 * {@code =all}, env, mounts and device nodes, and the refusals, each naming its field. The host's
 * {@code /dev/null} and {@code /dev/zero} (mode 0666) stand in for devices.
 */
class DevicesTest {
  @TempDir Path tmp;
  Path etc;
  Path run;
  Path lib;
  Devices.Node nul;

  @BeforeEach
  void dirs() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/null")) && Files.exists(Path.of("/dev/zero")), "needs /dev/null");
    tmp = tmp.toRealPath();
    etc = Files.createDirectories(tmp.resolve("etc-cdi"));
    run = Files.createDirectories(tmp.resolve("run-cdi"));
    lib = Files.createDirectories(tmp.resolve("lib"));
    Files.writeString(lib.resolve("libfake.so.1"), "ELF");
    nul = Devices.checkNode("t", Path.of("/dev/null"), true);
  }

  private String json(String extraTopLevel) {
    return """
        {"cdiVersion": "0.6.0", "kind": "vendor.com/fake",%s
         "devices": [
           {"name": "a", "containerEdits": {"env": ["WHICH=a", "ONLY_A=1"],
              "deviceNodes": [{"path": "/dev/fake-a", "hostPath": "/dev/null", "type": "c", "major": %d, "minor": %d}]}},
           {"name": "b", "containerEdits": {"env": ["WHICH=b"],
              "deviceNodes": [{"path": "/dev/fake-b", "hostPath": "/dev/zero", "permissions": "rwm"}]}}
         ],
         "containerEdits": {"env": ["FAKE=1", "WHICH=spec"],
           "mounts": [{"hostPath": "%s", "containerPath": "/opt/fake/lib/libfake.so.1", "options": ["ro", "bind"]},
                      {"hostPath": "%s", "containerPath": "/opt/fake", "type": "none", "options": ["rbind", "rw"]}]}}
        """.formatted(extraTopLevel, nul.major(), nul.minor(), lib.resolve("libfake.so.1"), tmp.resolve("lib"));
  }

  private SandboxSpec.Builder spec() {
    return Sandbox.builder().command("/bin/true").root(Rootfs.directory(tmp)).env("WHICH", "caller")
        .env("KEEP", "me").cdiSpecDirs(List.of(etc, run));
  }

  private static List<Mount> added(SandboxSpec before, SandboxSpec after) {
    return after.mounts().subList(before.mounts().size(), after.mounts().size());
  }

  @Test
  void oneDeviceGetsTheSpecsEditsThenItsOwn() throws Exception {
    Files.writeString(etc.resolve("fake.json"), json(""));
    SandboxSpec before = spec().device("vendor.com/fake=a").build();
    SandboxSpec s = Devices.resolve(before);
    assertEquals(CdiRequest.NONE, s.devices(), "resolved: nothing left to resolve");
    assertEquals(Map.of("WHICH", "a", "KEEP", "me", "FAKE", "1", "ONLY_A", "1"), s.env(),
        "the spec's env, then the device's, over the caller's");
    assertEquals(List.of(
        new Mount.Device(Path.of("/dev/null"), "/dev/fake-a", true),
        new Mount.Bind(tmp.resolve("lib"), "/opt/fake", true),
        new Mount.Bind(lib.resolve("libfake.so.1"), "/opt/fake/lib/libfake.so.1", false)),
        added(before, s), "nodes, then binds parents first; ro unless rw");
    assertEquals(before.mounts(), s.mounts().subList(0, before.mounts().size()), "the caller's mounts first");
  }

  @Test
  void allIsEveryDeviceOfTheKindUnlessOneIsCalledAll() throws Exception {
    Files.writeString(etc.resolve("fake.json"), json(""));
    SandboxSpec before = spec().device("vendor.com/fake=all").build();
    SandboxSpec s = Devices.resolve(before);
    assertEquals(List.of("/dev/fake-a", "/dev/fake-b", "/opt/fake", "/opt/fake/lib/libfake.so.1"),
        added(before, s).stream().map(Mount::destination).toList(), "spec-level mounts once");
    assertEquals("b", s.env().get("WHICH"), "the later device's value");
    Files.writeString(etc.resolve("fake.json"), json("").replace("\"name\": \"b\"", "\"name\": \"all\""));
    s = Devices.resolve(spec().device("vendor.com/fake=all").build());
    assertEquals("b", s.env().get("WHICH"));
    assertFalse(s.env().containsKey("ONLY_A"), "the device named all, not every device");
  }

  @Test
  void yamlSpecsInLaterDirectoriesReplaceDevicesOfEarlierOnes() throws Exception {
    Files.writeString(etc.resolve("fake.json"), json(""));
    Files.writeString(run.resolve("fake.yaml"), """
        cdiVersion: 0.5.0
        kind: vendor.com/fake
        devices:
          - name: a
            containerEdits:
              env: [FROM_RUN=1]
        """);
    SandboxSpec s = Devices.resolve(spec().device("vendor.com/fake=a").device("vendor.com/fake=b").build());
    assertEquals("1", s.env().get("FROM_RUN"), "a comes from /var/run/cdi's spec");
    assertFalse(s.env().containsKey("ONLY_A"));
    assertFalse(s.mounts().stream().anyMatch(m -> m.destination().equals("/dev/fake-a")), "etc's a is replaced");
    assertTrue(s.mounts().stream().anyMatch(m -> m.destination().equals("/dev/fake-b")), "etc's b still counts");
    Files.writeString(etc.resolve("again.yml"), Files.readString(run.resolve("fake.yaml")));
    InvalidCdiSpecException e = assertThrows(InvalidCdiSpecException.class,
        () -> Devices.resolve(spec().device("vendor.com/fake=a").build()));
    assertEquals("devices[0].name", e.field(), "one device twice in one directory: " + e.getMessage());
    assertTrue(e.getMessage().contains("also defined in"), e.getMessage());
  }

  @Test
  void theHostRootAlreadyShowsAMountOfAFileOntoItself() throws Exception {
    Path so = lib.resolve("libfake.so.1");
    Files.writeString(etc.resolve("self.json"), """
        {"cdiVersion": "0.6.0", "kind": "vendor.com/self", "devices": [{"name": "x",
          "containerEdits": {"mounts": [{"hostPath": "%s", "containerPath": "%s", "options": ["ro"]},
                                        {"hostPath": "%s", "containerPath": "/elsewhere/libfake.so.1"}]}}]}
        """.formatted(so, so, so));
    SandboxSpec host = Sandbox.builder().command("/bin/true").cdiSpecDirs(List.of(etc)).device("vendor.com/self=x").build();
    assertEquals(List.of("/elsewhere/libfake.so.1"), added(host, Devices.resolve(host)).stream().map(Mount::destination).toList());
  }

  @Test
  void hooksAreRefusedByNameUnlessSkipped() throws Exception {
    Files.writeString(etc.resolve("fake.json"), json("""
         "containerEdits": {"hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk",
                                       "args": ["nvidia-ctk", "hook", "update-ldcache"]}]},""").replaceFirst(
        "\"containerEdits\": \\{\"env\": \\[\"FAKE=1\"", "\"x\": {\"env\": [\"FAKE=1\""));
    InvalidCdiSpecException e = assertThrows(InvalidCdiSpecException.class,
        () -> Devices.resolve(spec().device("vendor.com/fake=a").build()));
    assertEquals("containerEdits.hooks[0]", e.field());
    assertTrue(e.getMessage().contains("createContainer") && e.getMessage().contains("/usr/bin/nvidia-ctk"), e.getMessage());
    SandboxSpec s = Devices.resolve(spec().device("vendor.com/fake=a").skipCdiHooks().build());
    assertTrue(s.mounts().stream().anyMatch(m -> m.destination().equals("/dev/fake-a")));
  }

  @Test
  void editsThatCannotBeAppliedAreRefusedNamingTheField() throws Exception {
    String base = json("");
    Object[][] cases = {
        {base.replace("\"major\": " + nul.major(), "\"major\": " + (nul.major() + 7)), "devices[0].containerEdits.deviceNodes[0].major"},
        {base.replace("\"type\": \"c\"", "\"type\": \"b\""), "devices[0].containerEdits.deviceNodes[0].type"},
        {base.replace("\"hostPath\": \"/dev/null\"", "\"hostPath\": \"" + lib.resolve("libfake.so.1") + "\""),
            "devices[0].containerEdits.deviceNodes[0].hostPath"},
        {base.replace("\"hostPath\": \"/dev/null\"", "\"hostPath\": \"/dev/no-such-node\""),
            "devices[0].containerEdits.deviceNodes[0].hostPath"},
        {base.replace("\"permissions\": \"rwm\"", "\"permissions\": \"r\""), "devices[1].containerEdits.deviceNodes[0].permissions"},
        {base.replace("\"permissions\": \"rwm\"", "\"uid\": 5"), "devices[1].containerEdits.deviceNodes[0].uid"},
        {base.replace("\"permissions\": \"rwm\"", "\"fileMode\": 384"), "devices[1].containerEdits.deviceNodes[0].fileMode"},
        {base.replace("\"type\": \"none\"", "\"type\": \"tmpfs\""), "containerEdits.mounts[1].type"},
        {base.replace("[\"ro\", \"bind\"]", "[\"ro\", \"noexec\"]"), "containerEdits.mounts[0].options[1]"},
        {base.replace("\"hostPath\": \"" + tmp.resolve("lib") + "\"", "\"hostPath\": \"" + tmp.resolve("nope") + "\""),
            "containerEdits.mounts[1].hostPath"},
    };
    for (Object[] c : cases) {
      Files.writeString(etc.resolve("fake.json"), (String) c[0]);
      InvalidCdiSpecException e = assertThrows(InvalidCdiSpecException.class,
          () -> Devices.resolve(spec().device("vendor.com/fake=all").build()), (String) c[1]);
      assertEquals(c[1], e.field(), e.getMessage());
      assertEquals(etc.resolve("fake.json").toString(), e.origin());
    }
    Path link = Files.createSymbolicLink(tmp.resolve("lib-link"), lib);
    Files.writeString(etc.resolve("fake.json"), base.replace("\"hostPath\": \"" + tmp.resolve("lib") + "\"",
        "\"hostPath\": \"" + link + "\""));
    assertEquals("containerEdits.mounts[1].hostPath", assertThrows(InvalidCdiSpecException.class,
        () -> Devices.resolve(spec().device("vendor.com/fake=all").build())).field(), "a link is never followed");
  }

  @Test
  void unknownKindsAndDevicesNameTheDevicesField() throws Exception {
    Files.writeString(etc.resolve("fake.json"), json(""));
    InvalidSandboxSpecException kind = assertThrows(InvalidSandboxSpecException.class,
        () -> Devices.resolve(spec().device("other.com/x=0").build()));
    assertEquals("devices", kind.field());
    assertTrue(kind.getMessage().contains("other.com/x") && kind.getMessage().contains(etc.toString()), kind.getMessage());
    InvalidSandboxSpecException dev = assertThrows(InvalidSandboxSpecException.class,
        () -> Devices.resolve(spec().device("vendor.com/fake=c").build()));
    assertEquals("devices", dev.field());
    assertTrue(dev.getMessage().contains("it has a, b"), dev.getMessage());
  }

  @Test
  void nvidiaWithoutASpecUsesTheDiscoveryOnlyThen() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CdiSpec fake = CdiSpec.parse("built-in NVIDIA discovery", """
        {"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu", "devices": [{"name": "0",
          "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0", "hostPath": "/dev/null"}]}}]}""", false);
    SandboxSpec s = Devices.resolve(spec().device("nvidia.com/gpu=all").build(),
        () -> CdiRegistry.load(List.of(etc)), () -> {
          calls.incrementAndGet();
          return Optional.of(fake);
        });
    assertEquals(1, calls.get());
    assertTrue(s.mounts().contains(new Mount.Device(Path.of("/dev/null"), "/dev/nvidia0", true)));
    InvalidSandboxSpecException none = assertThrows(InvalidSandboxSpecException.class,
        () -> Devices.resolve(spec().device("nvidia.com/gpu=0").build(), () -> CdiRegistry.load(List.of(etc)),
            Optional::empty));
    assertEquals("devices", none.field());
    assertTrue(none.getMessage().contains("/dev/nvidiaN"), none.getMessage());
    Files.writeString(etc.resolve("nvidia.yaml"), fake.document().toString()
        .replace("/dev/nvidia0\"", "/dev/nvidia-from-spec\""));
    SandboxSpec fromSpec = Devices.resolve(spec().device("nvidia.com/gpu=0").build(),
        () -> CdiRegistry.load(List.of(etc)), () -> {
          throw new AssertionError("a spec of the kind exists");
        });
    assertTrue(fromSpec.mounts().stream().anyMatch(m -> m.destination().equals("/dev/nvidia-from-spec")));
  }

  @Test
  void deviceMountsAreCheckedToBeDeviceNodes() throws Exception {
    SandboxSpec plain = Sandbox.builder().command("/bin/true").mount(Mount.device(Path.of("/dev/null"))).build();
    assertSame(plain, Devices.resolve(plain), "nothing to apply");
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Path link = Files.createSymbolicLink(tmp.resolve("null-link"), Path.of("/dev/null"));
    for (Path p : List.of(file, tmp, tmp.resolve("missing"), link)) {
      InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
          () -> Devices.resolve(Sandbox.builder().command("/bin/true").mount(Mount.device(p, "/dev/x")).build()));
      assertEquals("mount.source", e.field(), e.getMessage());
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
    InvalidSandboxSpecException ro = assertThrows(InvalidSandboxSpecException.class, () -> Devices.resolve(
        Sandbox.builder().command("/bin/true").mount(Mount.device(Path.of("/dev/null")).readOnly()).build()));
    assertTrue(ro.getMessage().contains("0666"), "a read-only device needs a node without write bits: " + ro.getMessage());
    assertEquals("mount.source", assertThrows(InvalidSandboxSpecException.class,
        () -> Mount.device(Path.of("dev/null"))).field());
    assertEquals("mount.destination", assertThrows(InvalidSandboxSpecException.class,
        () -> Mount.device(Path.of("/dev/null"), "dev/null")).field());
  }

  @Test
  void builderNamesBadInputAtOnce() {
    assertEquals("devices", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().device("/dev/fuse")).field());
    assertEquals("cdiSpecDirs", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().cdiSpecDirs(List.of(Path.of("cdi")))).field());
    assertEquals("cdiSpecDirs", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().cdiSpecDirs(null)).field());
    SandboxSpec s = Sandbox.builder().command("/bin/true").device("nvidia.com/gpu=0").skipCdiHooks().build();
    assertEquals(s, s.toBuilder().build(), "toBuilder keeps the devices");
    assertTrue(s.devices().skipHooks());
  }
}
