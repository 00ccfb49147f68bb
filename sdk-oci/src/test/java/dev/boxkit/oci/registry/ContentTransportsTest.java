package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.tarball.DockerArchive;
import dev.boxkit.oci.validate.ImageValidator;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestImages;
import dev.boxkit.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One copy verb across transports: layout, registry and docker archive, each way. */
class ContentTransportsTest {
  private static TestRegistry registry;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    registry = TestRegistry.start();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  private static RegistryClient client() {
    return RegistryClient.builder().retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous()).insecureRegistry(registry.host()).build();
  }

  private static long tempLayouts() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("boxkit-docker-archive-")).count();
    }
  }

  @Test
  void layoutToDockerArchiveToRegistryToLayoutKeepsTheDigest() throws Exception {
    long before = tempLayouts();
    OciLayout layout = OciLayout.create(tmp.resolve("layout"));
    TestImages.Written w = TestImages.write(layout, "v1");
    RegistryCopy copy = RegistryCopy.using(client());

    Path archive = tmp.resolve("image.tar");
    Descriptor toArchive = copy.copy(ContentSource.layout(layout, "v1"),
        ContentSink.dockerArchive(archive, List.of(ImageReference.parse("app:1"))), null);
    assertEquals(w.manifestDescriptor().digest(), toArchive.digest());
    ExternalTools.find("skopeo").ifPresent(skopeo -> {
      try {
        Process p = new ProcessBuilder(skopeo.toString(), "inspect", "--raw", "docker-archive:" + archive)
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains(w.manifest().config().digest().toString()), out); // skopeo reads it
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    });

    ImageReference ref = ImageReference.of(registry.host(), "transports/app", "1");
    Descriptor toRegistry = copy.copy(ContentSource.dockerArchive(archive), ContentSink.registry(client(), ref), null);
    assertEquals(toArchive.digest(), toRegistry.digest());

    OciLayout back = OciLayout.create(tmp.resolve("back"));
    copy.copy(ContentSource.registry(client(), ref), ContentSink.layout(back, "again"), null);
    assertEquals(toArchive.digest(), back.resolve("again").digest());
    assertTrue(ImageValidator.problems(back).isEmpty(), ImageValidator.problems(back).toString());
    assertEquals(before, tempLayouts(), "temporary layouts are removed");
  }

  @Test
  void anIndexIntoADockerArchiveIsRefusedUnlessAPlatformIsPicked() throws IOException {
    long before = tempLayouts();
    OciLayout layout = OciLayout.create(tmp.resolve("layout"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Descriptor index = layout.writeIndex(dev.boxkit.oci.ImageIndex.of(List.of(
        w.manifestDescriptor().withPlatform(Platform.LINUX_AMD64))));
    RegistryCopy copy = RegistryCopy.using(client());
    Path archive = tmp.resolve("multi.tar");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> copy.copy(
        ContentSource.layout(layout, index), ContentSink.dockerArchive(archive, List.of()), null));
    assertEquals("platform", e.field());
    assertTrue(Files.notExists(archive));
    Descriptor picked = copy.copy(ContentSource.layout(layout, index),
        ContentSink.dockerArchive(archive, List.of()), Platform.LINUX_AMD64);
    assertEquals(MediaType.OCI_MANIFEST, picked.mediaType());
    assertEquals(w.manifestDescriptor().digest(), DockerArchive.read(archive, OciLayout.create(tmp.resolve("r"))).digest());
    assertEquals(before, tempLayouts());
  }
}
