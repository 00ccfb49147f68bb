package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValueParsingTest {
  @TempDir Path tmp;

  @Test
  void sourcesFollowSkopeoSyntax() {
    assertInstanceOf(SourceRef.Scratch.class, SourceRef.parse("from", "scratch"));
    assertEquals(new SourceRef.OciLayout(Path.of("/img"), "app:1"), SourceRef.parse("from", "oci:/img:app:1"));
    assertEquals(new SourceRef.DockerArchive(Path.of("a.tar")), SourceRef.parse("from", "docker-archive:a.tar"));
    SourceRef.Registry r = (SourceRef.Registry) SourceRef.parse("from", "docker://127.0.0.1:5000/team/app:1");
    assertEquals("127.0.0.1:5000", r.reference().registry());
    assertEquals("team/app", r.reference().repository());
    assertEquals("1", r.reference().tag());
  }

  @Test
  void badSourcesNameTheFlagAndSayWhy() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "oci:/img"));
    assertEquals("from", e.field());
    assertTrue(e.getMessage().contains("oci:DIR:TAG"), e.getMessage());
    assertTrue(assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "oci-archive:a.tar"))
        .getMessage().contains("not supported yet"));
    assertTrue(assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "docker:host/r:1"))
        .getMessage().contains("docker://HOST"));
    assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "docker://"));
    assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "docker://Host/UPPER:1"));
    assertTrue(assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "ftp:x"))
        .getMessage().contains("unknown transport"));
    assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "/just/a/path"));
    assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "oci::tag"));
    assertThrows(InvalidInputException.class, () -> SourceRef.parse("from", "docker-archive:"));
  }

  @Test
  void publishIsAnOptionalHostPortAndASandboxPort() {
    assertEquals(new PublishArg(0, 8080), PublishArg.parse("8080"));
    assertEquals(new PublishArg(5432, 5432), PublishArg.parse("5432:5432"));
    assertEquals(new PublishArg(65535, 1), PublishArg.parse("65535:1"));
    for (String bad : new String[] {"", "x", "0", "65536", "0:80", "80:0", ":80", "80:", "1:2:3", "+80", " 80", "8o"}) {
      assertEquals("publish", assertThrows(InvalidInputException.class, () -> PublishArg.parse(bad)).field(), bad);
    }
  }

  @Test
  void targets() {
    assertEquals(new TargetRef.OciLayout(Path.of("out"), "app"), TargetRef.parse("output", "oci:out:app"));
    assertEquals(new TargetRef.DockerArchive(Path.of("a.tar"), "app:1"), TargetRef.parse("output", "docker-archive:a.tar:app:1"));
    assertEquals(new TargetRef.DockerArchive(Path.of("a.tar"), "localhost:5000/app:1"),
        TargetRef.parse("output", "docker-archive:a.tar:localhost:5000/app:1"));
    assertNull(((TargetRef.DockerArchive) TargetRef.parse("output", "docker-archive:a.tar")).reference());
    assertEquals("docker.io", ((TargetRef.Registry) TargetRef.parse("output", "docker://app:1")).reference().registry());
    assertThrows(InvalidInputException.class,
        () -> TargetRef.parse("output", "docker://h:5000/app@sha256:" + "a".repeat(64)));
    assertThrows(InvalidInputException.class, () -> TargetRef.parse("output", "oci:out"));
    assertThrows(InvalidInputException.class, () -> TargetRef.parse("output", "scratch"));
    assertThrows(InvalidInputException.class,
        () -> TargetRef.parse("output", "docker-archive:a.tar:app@sha256:" + "a".repeat(64)));
  }

  @Test
  void layers() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("with:colon"));
    LayerArg l = LayerArg.parse(dir + ":/app");
    assertEquals(dir, l.hostPath());
    assertEquals("/app", l.imagePath());
    assertTrue(assertThrows(InvalidInputException.class, () -> LayerArg.parse(tmp.toString()))
        .getMessage().contains("HOSTPATH:IMAGEPATH"));
    assertTrue(assertThrows(InvalidInputException.class, () -> LayerArg.parse(dir + ":app"))
        .getMessage().contains("image path"));
    assertThrows(InvalidInputException.class, () -> LayerArg.parse(dir + ":/a/../../etc"));
    assertTrue(assertThrows(InvalidInputException.class, () -> LayerArg.parse(tmp.resolve("missing") + ":/app"))
        .getMessage().contains("does not exist"));
  }

  @Test
  void bindsAreReadOnlyUnlessRw() {
    BindArg b = BindArg.parse(tmp + ":/data");
    assertFalse(b.writable());
    assertFalse(BindArg.parse(tmp + ":/data:ro").writable());
    assertTrue(BindArg.parse(tmp + ":/data:rw").toMount().writable());
    assertThrows(InvalidInputException.class, () -> BindArg.parse(tmp + ":/data:rx"));
    assertThrows(InvalidInputException.class, () -> BindArg.parse(tmp + ":data"));
    assertThrows(InvalidInputException.class, () -> BindArg.parse(tmp.toString()));
    assertThrows(InvalidInputException.class, () -> BindArg.parse(tmp.resolve("nope") + ":/data"));
  }

  @Test
  void sizesAndDurations() {
    assertEquals(256L << 20, ByteSize.parse("256m").bytes());
    assertEquals(1L << 30, ByteSize.parse("1G").bytes());
    assertEquals(512, ByteSize.parse("512").bytes());
    assertEquals(4096, ByteSize.parse("4k").bytes());
    for (String bad : new String[] {"", "m", "0", "-1m", "1.5g", "10t", "99999999999999999g"}) {
      assertThrows(InvalidInputException.class, () -> ByteSize.parse(bad), bad);
    }
    assertEquals(Duration.ofSeconds(10), DurationArg.parse("10s").duration());
    assertEquals(Duration.ofSeconds(3), DurationArg.parse("3").duration());
    assertEquals(Duration.ofMillis(250), DurationArg.parse("250ms").duration());
    assertEquals(Duration.ofMinutes(2), DurationArg.parse("2m").duration());
    for (String bad : new String[] {"", "0s", "1.5s", "s", "10d"}) {
      assertThrows(InvalidInputException.class, () -> DurationArg.parse(bad), bad);
    }
  }

  @Test
  void keyValuesAndUsers() {
    assertEquals(new KeyValue("A", "b=c"), KeyValue.parse("A=b=c"));
    assertEquals(new KeyValue("A", ""), KeyValue.parse("A="));
    assertThrows(InvalidInputException.class, () -> KeyValue.parse("=x"));
    assertThrows(InvalidInputException.class, () -> KeyValue.parse("A"));
    assertEquals(new UserArg("app", null), UserArg.parse("app"));
    assertEquals(new UserArg("1000", "staff"), UserArg.parse("1000:staff"));
    assertThrows(InvalidInputException.class, () -> UserArg.parse("a:b:c"));
    assertThrows(InvalidInputException.class, () -> UserArg.parse(""));
  }

  @Test
  void deviceIsACdiNameOrAnAbsoluteNodePath() {
    assertEquals("nvidia.com/gpu=all", DeviceArg.parse("nvidia.com/gpu=all").cdi().toString());
    assertNull(DeviceArg.parse("nvidia.com/gpu=0").node());
    assertEquals(dev.boxkit.sandbox.Mount.device(Path.of("/dev/fuse")), DeviceArg.parse("/dev/fuse").node());
    assertEquals(dev.boxkit.sandbox.Mount.device(Path.of("/dev/null"), "/dev/fakedev"),
        DeviceArg.parse("/dev/null:/dev/fakedev").node());
    for (String bad : new String[] {"gpu", "dev/fuse", "/dev/../fuse", "/dev/null:dev/x", "nvidia.com/gpu=", "a/b=c d"}) {
      assertEquals("device", assertThrows(InvalidInputException.class, () -> DeviceArg.parse(bad)).field(), bad);
    }
  }
}

