package dev.boxkit.sandbox.cdi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CDI spec files (SPEC.md "CDI JSON Specification") read in JSON and YAML, and refused by field. */
class CdiSpecTest {
  @TempDir Path tmp;

  static final String JSON = """
      {
        "cdiVersion": "0.6.0",
        "kind": "vendor.com/fake",
        "annotations": {"a": "b"},
        "x-vendor-extra": {"kept": true},
        "devices": [
          {"name": "dev0", "annotations": {"slot": "1"},
           "containerEdits": {"env": ["DEV=0"],
             "deviceNodes": [{"path": "/dev/fake0", "hostPath": "/dev/null", "type": "c",
                              "major": 1, "minor": 3, "permissions": "rw", "futureField": 1}]}},
          {"name": "dev1", "containerEdits": {"deviceNodes": [{"path": "/dev/null"}]}}
        ],
        "containerEdits": {
          "env": ["FAKE=1"],
          "mounts": [{"hostPath": "/usr/lib", "containerPath": "/opt/fake/lib",
                      "options": ["ro", "nosuid", "nodev", "bind"]}]
        }
      }
      """;

  static final String YAML = """
      cdiVersion: "0.5.0"
      kind: vendor.com/fake
      unknownTopLevel: [1, 2]
      devices:
        - name: dev0
          containerEdits:
            env: ["DEV=0"]
            deviceNodes:
              - path: /dev/fake0
                hostPath: /dev/null
        - name: "1"
          containerEdits:
            deviceNodes:
              - path: /dev/fake1
                hostPath: /dev/zero
                permissions: r
      containerEdits:
        env:
          - FAKE=yaml
        mounts:
          - hostPath: /usr/lib
            containerPath: /opt/fake/lib
            type: bind
            options: [ro, rbind]
      """;

  @Test
  void jsonIsReadWithEveryFieldAndUnknownOnesKept() throws Exception {
    Path f = Files.writeString(tmp.resolve("fake.json"), JSON);
    CdiSpec s = CdiSpec.read(f);
    assertEquals(f.toString(), s.origin());
    assertEquals("0.6.0", s.cdiVersion());
    assertEquals("vendor.com/fake", s.kind());
    assertEquals(Map.of("a", "b"), s.annotations());
    assertEquals(List.of("dev0", "dev1"), s.devices().stream().map(CdiSpec.Device::name).toList());
    assertEquals(Map.of("slot", "1"), s.devices().get(0).annotations());
    CdiSpec.DeviceNode n = s.devices().get(0).containerEdits().deviceNodes().get(0);
    assertEquals(new CdiSpec.DeviceNode("/dev/fake0", "/dev/null", "c", 1L, 3L, null, "rw", null, null), n);
    assertTrue(n.writable());
    assertEquals("/dev/null", s.devices().get(1).containerEdits().deviceNodes().get(0).effectiveHostPath(),
        "hostPath defaults to path");
    assertEquals(List.of("FAKE=1"), s.containerEdits().env());
    assertEquals(new CdiSpec.MountEdit("/usr/lib", "/opt/fake/lib", null, List.of("ro", "nosuid", "nodev", "bind")),
        s.containerEdits().mounts().get(0));
    assertTrue(s.document().get("x-vendor-extra").get("kept").asBoolean(), "unknown fields are kept");
    assertEquals(1, s.document().at("/devices/0/containerEdits/deviceNodes/0/futureField").asInt());
    ((com.fasterxml.jackson.databind.node.ArrayNode) s.document().get("devices")).removeAll();
    assertEquals(2, s.document().get("devices").size(), "document() is a copy");
  }

  @Test
  void yamlIsReadTheSameWay() throws Exception {
    for (String ext : List.of("yaml", "yml")) {
      CdiSpec s = CdiSpec.read(Files.writeString(tmp.resolve("fake." + ext), YAML));
      assertEquals("0.5.0", s.cdiVersion());
      assertEquals(List.of("dev0", "1"), s.devices().stream().map(CdiSpec.Device::name).toList());
      CdiSpec.DeviceNode ro = s.devices().get(1).containerEdits().deviceNodes().get(0);
      assertEquals("r", ro.permissions());
      assertFalse(ro.writable());
      assertNull(ro.major());
      assertEquals("bind", s.containerEdits().mounts().get(0).type());
      assertEquals(List.of("FAKE=yaml"), s.containerEdits().env());
      assertEquals(2, s.document().get("unknownTopLevel").size());
    }
  }

  @Test
  void publishedVersionsAreAcceptedOthersRefused() {
    for (String v : List.of("0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.0.1", "0.5.2")) {
      assertEquals(v, CdiSpec.parse("t", JSON.replace("0.6.0", v), false).cdiVersion());
    }
    for (String v : List.of("0.2.0", "0.9.0", "2.0.0", "1.1.0", "0.6", "v0.6.0", "0.6.0-rc1", "")) {
      InvalidCdiSpecException e = assertThrows(InvalidCdiSpecException.class,
          () -> CdiSpec.parse("t", JSON.replace("0.6.0", v), false), v);
      assertEquals("cdiVersion", e.field(), e.getMessage());
      assertTrue(e.getMessage().contains("\"" + v + "\""), e.getMessage());
    }
  }

  /** Each bad spec is refused with the field that is wrong, never a NullPointerException. */
  @Test
  void badSpecsAreRefusedNamingTheField() {
    Object[][] cases = {
        {"{\"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}]}", "cdiVersion"},
        {"{\"cdiVersion\": \"0.6.0\", \"devices\": [{\"name\": \"a\"}]}", "kind"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"fake\", \"devices\": [{\"name\": \"a\"}]}", "kind"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/a/b\", \"devices\": [{\"name\": \"a\"}]}", "kind"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\"}", "devices"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": []}", "devices"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{}]}", "devices[0].name"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"-a\"}]}", "devices[0].name"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
            "devices[1].name"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\", \"containerEdits\":"
            + " {\"deviceNodes\": [{\"path\": \"dev/x\"}]}}]}", "devices[0].containerEdits.deviceNodes[0].path"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\", \"containerEdits\":"
            + " {\"deviceNodes\": [{\"path\": \"/dev/x\", \"hostPath\": \"/dev/../etc/x\"}]}}]}",
            "devices[0].containerEdits.deviceNodes[0].hostPath"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\", \"containerEdits\":"
            + " {\"deviceNodes\": [{\"path\": \"/dev/x\", \"type\": \"p\"}]}}]}",
            "devices[0].containerEdits.deviceNodes[0].type"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\", \"containerEdits\":"
            + " {\"deviceNodes\": [{\"path\": \"/dev/x\", \"major\": -1}]}}]}",
            "devices[0].containerEdits.deviceNodes[0].major"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\", \"containerEdits\":"
            + " {\"deviceNodes\": [{\"path\": \"/dev/x\", \"permissions\": \"rwx\"}]}}]}",
            "devices[0].containerEdits.deviceNodes[0].permissions"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"mounts\": [{\"hostPath\": \"lib\", \"containerPath\": \"/lib\"}]}}",
            "containerEdits.mounts[0].hostPath"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"mounts\": [{\"hostPath\": \"/lib\"}]}}", "containerEdits.mounts[0].containerPath"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"env\": [\"NOVALUE\"]}}", "containerEdits.env[0]"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"env\": \"A=B\"}}", "containerEdits.env"},
        {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"hooks\": [{\"hookName\": \"createContainer\", \"path\": \"hook\"}]}}",
            "containerEdits.hooks[0].path"},
        {"{\"cdiVersion\": \"0.7.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"additionalGids\": [44]}}", "containerEdits.additionalGids"},
        {"{\"cdiVersion\": \"0.7.0\", \"kind\": \"vendor.com/fake\", \"devices\": [{\"name\": \"a\"}],"
            + " \"containerEdits\": {\"intelRdt\": {\"closID\": \"x\"}}}", "containerEdits.intelRdt"},
        {"{\"cdiVersion\": \"0.6.0\", \"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/fake\", \"devices\": []}", "document"},
        {"{\"cdiVersion\": ", "document"},
        {"[]", "document"},
    };
    for (Object[] c : cases) {
      InvalidCdiSpecException e = assertThrows(InvalidCdiSpecException.class,
          () -> CdiSpec.parse("/etc/cdi/t.json", (String) c[0], false), (String) c[0]);
      assertEquals(c[1], e.field(), e.getMessage());
      assertEquals("/etc/cdi/t.json", e.origin());
      assertTrue(e.getMessage().contains("/etc/cdi/t.json"), e.getMessage());
    }
    InvalidCdiSpecException dup = assertThrows(InvalidCdiSpecException.class,
        () -> CdiSpec.parse("y", "cdiVersion: 0.6.0\nkind: a.b/c\ncdiVersion: 0.6.0\ndevices: []\n", true));
    assertEquals("document", dup.field(), "duplicate keys in YAML too");
    assertTrue(dup.getMessage().contains("line"), dup.getMessage());
  }

  @Test
  void zeroAdditionalGidsAreIgnoredAsTheSpecSays() {
    CdiSpec s = CdiSpec.parse("t", "{\"cdiVersion\": \"0.7.0\", \"kind\": \"vendor.com/fake\", \"devices\":"
        + " [{\"name\": \"a\"}], \"containerEdits\": {\"additionalGids\": [0]}}", false);
    assertEquals(CdiSpec.ContainerEdits.NONE, s.containerEdits());
  }

  @Test
  void namesAreParsedOrRefusedAsDevices() {
    CdiName n = CdiName.parse("nvidia.com/gpu=all");
    assertEquals("nvidia.com", n.vendor());
    assertEquals("gpu", n.deviceClass());
    assertEquals("nvidia.com/gpu", n.kind());
    assertTrue(n.isAll());
    assertEquals("nvidia.com/gpu=all", n.toString());
    assertEquals("MIG-1:0", CdiName.parse("nvidia.com/gpu=MIG-1:0").name());
    for (String bad : new String[] {"nvidia.com/gpu", "gpu=0", "/dev/fuse", "nvidia.com/gpu=", "nvidia.com/=0",
        "=0", "a/b/c=0", "nvidia.com/gpu=-0", "nvidia.com/gpu=a b"}) {
      InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class, () -> CdiName.parse(bad), bad);
      assertEquals("devices", e.field(), e.getMessage());
    }
    assertEquals("devices", assertThrows(InvalidSandboxSpecException.class, () -> CdiName.parse(null)).field());
  }
}
