package dev.boxkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.registry.RegistryClient;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images pushed to and built from a real registry on 127.0.0.1, checked with skopeo. */
class RegistryImageTest {
  private static TestRegistry registry;
  private static RegistryClient client;

  @TempDir Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = TestRegistry.start();
    client = RegistryClient.builder().insecureRegistry(registry.host()).build();
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void pushedImageIsWhatSkopeoSeesAndBuildsOnAsABase() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Image base = Image.builder().platform(Platform.LINUX_AMD64).cacheDir(tmp.resolve("a"))
        .layer(Layer.of("base", b -> b.addFile("/etc/base", "base\n".getBytes(StandardCharsets.UTF_8))))
        .env("FROM_BASE", "yes")
        .build();
    String ref = registry.host() + "/boxkit/base:1";
    base.writeTo(RegistryImage.of(ref, client));
    String digest = run(skopeo.toString(), "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + ref).strip();
    assertEquals(base.digest().toString(), digest);

    Image child = Image.builder().from(RegistryImage.of(ref, client)).cacheDir(tmp.resolve("b"))
        .layer(Layer.of("child", b -> b.addFile("/etc/child", "child\n".getBytes(StandardCharsets.UTF_8))))
        .build();
    assertEquals(base.layers().get(0), child.layers().get(0));
    assertEquals("yes", child.config().config().envValue("FROM_BASE"));
    String childRef = registry.host() + "/boxkit/child:1";
    child.writeTo(RegistryImage.of(childRef, client));
    String layers = run(skopeo.toString(), "inspect", "--tls-verify=false", "--format", "{{len .Layers}}", "docker://" + childRef).strip();
    assertEquals("2", layers);
  }

  @Test
  void pushEventsDescribeThePushNotTheLocalStore() {
    Image image = Image.builder().platform(Platform.LINUX_AMD64).cacheDir(tmp.resolve("p"))
        .layer(Layer.of("one", b -> b.addFile("/etc/one", "one\n".getBytes(StandardCharsets.UTF_8))))
        .build();
    List<BuildEvent.BlobWritten> first = pushEvents(image, "/boxkit/events:1");
    // Everything is in the local store already; the push still uploads all three.
    assertEquals(List.of(BuildEvent.Outcome.WRITTEN, BuildEvent.Outcome.WRITTEN, BuildEvent.Outcome.WRITTEN),
        first.stream().map(BuildEvent.BlobWritten::outcome).toList(), first.toString());
    assertEquals(image.layers().get(0).digest(), first.get(0).digest());
    assertEquals(image.digest(), first.get(2).digest());

    List<BuildEvent.BlobWritten> again = pushEvents(image, "/boxkit/events:1");
    assertEquals(List.of(BuildEvent.Outcome.PRESENT, BuildEvent.Outcome.PRESENT, BuildEvent.Outcome.WRITTEN),
        again.stream().map(BuildEvent.BlobWritten::outcome).toList(), again.toString());

    List<BuildEvent.BlobWritten> other = pushEvents(image, "/boxkit/events-copy:1");
    assertEquals(3, other.size(), other.toString());
    assertTrue(other.get(0).outcome() != BuildEvent.Outcome.PRESENT, other.toString());
    // Pushing named the image by digest: the shared local store gained no tag.
    assertEquals(List.of(), dev.boxkit.oci.layout.OciLayout.open(tmp.resolve("p")).tags());
  }

  @Test
  void aBaseByNameUsesRegistriesConfOrTheConfiguredClient() throws Exception {
    Image base = Image.builder().platform(Platform.LINUX_AMD64).cacheDir(tmp.resolve("c"))
        .layer(Layer.of("base", b -> b.addFile("/etc/base", "base\n".getBytes(StandardCharsets.UTF_8))))
        .build();
    String ref = registry.host() + "/boxkit/by-name:1";
    base.writeTo(RegistryImage.of(ref, client));
    // Plain HTTP is refused by default...
    org.junit.jupiter.api.Assertions.assertThrows(dev.boxkit.oci.OciException.class,
        () -> Image.builder().from(ref).registryClient(RegistryClient.builder()
            .retryPolicy(dev.boxkit.oci.registry.RetryPolicy.NONE).build()).cacheDir(tmp.resolve("d")).build());
    // ...allowed by a configured client, in any call order...
    Image viaClient = Image.builder().registryClient(client).from(ref).cacheDir(tmp.resolve("e")).build();
    assertEquals(base.layers().get(0), viaClient.layers().get(0));
    // ...and by registries.conf, as skopeo and podman read it.
    java.nio.file.Path conf = java.nio.file.Files.writeString(tmp.resolve("registries.conf"),
        "unqualified-search-registries = [\"docker.io\"]\n[aliases]\n\"x\" = \"docker.io/library/x\"\n"
        + "[[registry]]\nlocation = \"" + registry.host() + "\" # the test registry\ninsecure = true\n");
    String old = System.getProperty(dev.boxkit.oci.registry.RegistriesConf.PROPERTY);
    System.setProperty(dev.boxkit.oci.registry.RegistriesConf.PROPERTY, conf.toString());
    try {
      Image viaConf = Image.builder().from(ref).cacheDir(tmp.resolve("f")).build();
      assertEquals(base.layers().get(0), viaConf.layers().get(0));
    } finally {
      if (old == null) {
        System.clearProperty(dev.boxkit.oci.registry.RegistriesConf.PROPERTY);
      } else {
        System.setProperty(dev.boxkit.oci.registry.RegistriesConf.PROPERTY, old);
      }
    }
    java.nio.file.Path bad = java.nio.file.Files.writeString(tmp.resolve("bad.conf"),
        "[[registry]]\nlocation = " + registry.host() + "\ninsecure = true\n");
    InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> dev.boxkit.oci.registry.RegistriesConf.insecureLocations(bad));
    assertTrue(e.getMessage().contains(bad + ":2"), e.getMessage());
  }

  /** Pushes {@code image} to {@code repoTag} on the test registry; returns its BlobWritten events. */
  private static List<BuildEvent.BlobWritten> pushEvents(Image image, String repoTag) {
    List<BuildEvent.BlobWritten> events = new ArrayList<>();
    image.writeTo(RegistryImage.of(registry.host() + repoTag, client), e -> {
      if (e instanceof BuildEvent.BlobWritten b) {
        events.add(b);
      }
    });
    return events;
  }

  @Test
  void aMalformedReferenceNamesIt() {
    InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> Image.builder().from("Not A Reference"));
    assertTrue(e.field().startsWith("reference") || e.field().equals("repository"), e.field());
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    return text;
  }
}
