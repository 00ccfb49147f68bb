package dev.boxkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.layout.TagNotFoundException;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.OciSchemas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBuilderTest {
  @TempDir Path tmp;

  private Path appDir() throws IOException {
    Path app = tmp.resolve("src/app");
    if (Files.exists(app)) {
      return app;
    }
    Files.createDirectories(app);
    Files.writeString(app.resolve("run.sh"), "#!/bin/sh\necho hello from the image\n");
    Files.setPosixFilePermissions(app.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(app.resolve("conf"));
    Files.writeString(app.resolve("conf/app.properties"), "mode=prod\n");
    Files.createSymbolicLink(app.resolve("current"), Path.of("conf"));
    return app;
  }

  private ImageBuilder sample(Path cache) throws IOException {
    return Image.builder()
        .from(Image.scratch())
        .platform(Platform.LINUX_AMD64)
        .cacheDir(cache)
        .layer(Layer.fromDirectory(appDir(), "/app"))
        .entrypoint("/app/run.sh")
        .cmd("--verbose")
        .env("MODE", "prod")
        .user("1000:1000")
        .workingDir("/data")
        .exposedPort(8080)
        .label("org.opencontainers.image.title", "sample");
  }

  @Test
  void buildsAnImageWhoseConfigSaysWhatWasAsked() throws IOException {
    Image image = sample(tmp.resolve("cache")).build();
    ImageConfig c = image.config();
    assertEquals(List.of("/app/run.sh"), c.config().entrypoint());
    assertEquals(List.of("--verbose"), c.config().cmd());
    assertEquals("prod", c.config().envValue("MODE"));
    assertEquals("1000:1000", c.config().user());
    assertEquals("/data", c.config().workingDir());
    assertTrue(c.config().exposedPorts().contains("8080/tcp"));
    assertEquals(Instant.EPOCH, c.created(), "reproducible created by default");
    assertEquals(1, image.layers().size());
    assertEquals(1, c.diffIds().size());
    assertEquals(1, c.history().size());
    assertEquals(Platform.LINUX_AMD64, image.platform());
  }

  @Test
  void sameInputsGiveTheSameDigestsInAnyStore() throws IOException {
    Image a = sample(tmp.resolve("cacheA")).build();
    Image b = sample(tmp.resolve("cacheB")).build();
    assertEquals(a.digest(), b.digest());
    assertEquals(a.manifest(), b.manifest());
    Image c = sample(tmp.resolve("cacheA")).env("MODE", "dev").build();
    assertNotEquals(a.digest(), c.digest());
    assertEquals(a.layers(), c.layers(), "a config change reuses the same layer blob");
  }

  @Test
  void writtenLayoutValidatesAgainstTheSchemasAndVerifies() throws IOException {
    Image image = sample(tmp.resolve("cache")).build();
    Path out = tmp.resolve("layout");
    Descriptor d = image.writeTo(OciLayoutTarget.of(out, "sample:1", "latest"));
    assertEquals(image.descriptor(), d);
    OciLayout layout = OciLayout.open(out);
    layout.verify();
    assertEquals(d.digest(), layout.resolve("sample:1").digest());
    OciSchemas schemas = OciSchemas.load();
    schemas.assertValid(OciSchemas.Kind.INDEX, out.resolve("index.json"));
    schemas.assertValid(OciSchemas.Kind.MANIFEST, layout.readBlob(d));
    schemas.assertValid(OciSchemas.Kind.CONFIG, layout.readBlob(image.manifest().config()));
  }

  @Test
  void hostModesAreNeverWidenedAndThePolicyIsPartOfTheCacheKey() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("modes/private"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    Path key = Files.writeString(dir.resolve("key"), "k");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path cache = tmp.resolve("modes-cache");
    java.util.function.Function<ImageBuilder, java.util.Map<String, Integer>> modes = b -> {
      Image image = b.cacheDir(cache).layer(Layer.fromDirectory(dir, "/secret")).build();
      try (java.io.InputStream in = image.openBlob(image.layers().get(0))) {
        java.util.Map<String, Integer> m = new java.util.TreeMap<>();
        for (dev.boxkit.oci.layer.TarEntryInfo e : dev.boxkit.oci.layer.LayerReader.read(in).entries()) {
          m.put(e.name(), e.mode());
        }
        return m;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    assertEquals(java.util.Map.of("secret/", 0750, "secret/key", 0600), modes.apply(Image.builder()));
    assertEquals(java.util.Map.of("secret/", 0755, "secret/key", 0644),
        modes.apply(Image.builder().normalizePermissions()), "Jib-style, on request");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertEquals(java.util.Map.of("secret/", 0750, "secret/key", 0644), modes.apply(Image.builder()));
    assertEquals(java.util.Map.of("secret/", 0750, "secret/key", 0666),
        modes.apply(Image.builder().preservePermissions()));
  }

  @Test
  void programsForAnotherArchitectureAreRefusedNamingFileAndBothArchitectures() {
    Platform host = Platform.host();
    Platform other = host.architecture().equals("arm64") ? Platform.LINUX_AMD64 : Platform.LINUX_ARM64;
    dev.boxkit.oci.elf.ExecutableClosure.ArchitectureMismatchException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.boxkit.oci.elf.ExecutableClosure.ArchitectureMismatchException.class,
        () -> Image.builder().cacheDir(tmp.resolve("arch")).platform(other)
            .layer(Layer.fromExecutables(Path.of("/bin/sh"))).build());
    assertEquals(host.architecture(), e.fileArchitecture());
    assertEquals(other.architecture(), e.imageArchitecture());
    assertTrue(e.getMessage().contains(e.file()) && e.getMessage().contains(host.architecture())
        && e.getMessage().contains(other.architecture()), e.getMessage());
    assertTrue(e.file().startsWith("/bin/sh") || e.file().startsWith("/usr/bin/"), e.file());
    // The host's own platform builds.
    Image.builder().cacheDir(tmp.resolve("arch")).platform(host)
        .layer(Layer.fromExecutables(Path.of("/bin/sh"))).build();
  }

  @Test
  void skopeoAndUmociReadTheOutput() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path umoci = ExternalTools.require("umoci", "umoci");
    Image image = sample(tmp.resolve("cache")).build();
    Path out = tmp.resolve("layout");
    image.writeTo(OciLayoutTarget.of(out, "sample"));
    String inspect = run(skopeo.toString(), "inspect", "oci:" + out + ":sample");
    assertTrue(inspect.contains(image.layers().get(0).digest().toString()), inspect);
    Path archive = tmp.resolve("sample.tar");
    image.writeTo(DockerArchiveTarget.of(archive, "sample:1"));
    String inspectArchive = run(skopeo.toString(), "inspect", "docker-archive:" + archive);
    assertTrue(inspectArchive.contains("\"Architecture\": \"amd64\""), inspectArchive);

    Path bundle = tmp.resolve("bundle");
    run(umoci.toString(), "unpack", "--rootless", "--image", out + ":sample", bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    assertEquals("#!/bin/sh\necho hello from the image\n", Files.readString(rootfs.resolve("app/run.sh")));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("app/run.sh"))));
    assertEquals(Path.of("conf"), Files.readSymbolicLink(rootfs.resolve("app/current")));
    assertEquals("mode=prod\n", Files.readString(rootfs.resolve("app/conf/app.properties")));
  }

  @Test
  void aBaseFromALayoutKeepsItsLayersAndConfig() throws IOException {
    Image base = sample(tmp.resolve("cache")).build();
    Path baseLayout = tmp.resolve("base");
    base.writeTo(OciLayoutTarget.of(baseLayout, "base:1"));

    Image child = Image.builder()
        .from(OciLayoutSource.of(baseLayout, "base:1"))
        .cacheDir(tmp.resolve("cache2"))
        .layer(Layer.of("extra file", b -> b.addFile("/etc/extra", "x".getBytes(StandardCharsets.UTF_8))))
        .env("EXTRA", "1")
        .build();
    assertEquals(2, child.layers().size());
    assertEquals(base.layers().get(0), child.layers().get(0));
    assertEquals("prod", child.config().config().envValue("MODE"));
    assertEquals("1", child.config().config().envValue("EXTRA"));
    assertEquals(List.of("/app/run.sh"), child.config().config().entrypoint());
    assertEquals(2, child.config().history().size());
    assertEquals(Platform.LINUX_AMD64, child.platform());

    Path out = tmp.resolve("child");
    child.writeTo(OciLayoutTarget.of(out, "child"));
    OciLayout.open(out).verify(); // base layer blob copied from the base layout
  }

  @Test
  void aBaseFromADockerArchiveIsTheImageThatWasSaved() throws IOException {
    Image base = sample(tmp.resolve("cache")).build();
    Path archive = tmp.resolve("base.tar");
    base.writeTo(DockerArchiveTarget.of(archive, "base:1"));

    Image loaded = Image.load(DockerArchiveSource.of(archive), Platform.LINUX_AMD64, tmp.resolve("store"));
    assertEquals(base.digest(), loaded.digest());
    assertEquals(List.of(), OciLayout.open(tmp.resolve("store")).tags(), "imported without a tag");
    dev.boxkit.oci.OciException other = assertThrows(dev.boxkit.oci.OciException.class, () -> Image.builder()
        .from(DockerArchiveSource.of(archive)).platform(Platform.LINUX_ARM64).cacheDir(tmp.resolve("s2"))
        .build());
    assertTrue(other.getMessage().contains("docker-archive:" + archive) && other.getMessage().contains("arm64"),
        other.getMessage());

    Image child = Image.builder().from(DockerArchiveSource.of(archive)).cacheDir(tmp.resolve("store2"))
        .layer(Layer.of("extra file", b -> b.addFile("/etc/extra", "x".getBytes(StandardCharsets.UTF_8))))
        .build();
    assertEquals(base.layers().get(0), child.layers().get(0));
    assertEquals(List.of("/app/run.sh"), child.config().config().entrypoint());
    Path out = tmp.resolve("child");
    child.writeTo(OciLayoutTarget.of(out, "child"));
    dev.boxkit.oci.validate.ImageValidator.validate(OciLayout.open(out));
  }

  @Test
  void entrypointClearsAnInheritedCmd() throws IOException {
    Image base = sample(tmp.resolve("cache")).build();
    Image child = Image.builder().from(base).cacheDir(tmp.resolve("cache")).entrypoint("/bin/other").build();
    assertNull(child.config().config().cmd());
  }

  @Test
  void badInputIsATypedExceptionNamingTheField() {
    assertEquals("user", assertThrows(InvalidInputException.class, () -> Image.builder().user("a b")).field());
    assertEquals("exposedPort", assertThrows(InvalidInputException.class, () -> Image.builder().exposedPort(70000)).field());
    assertEquals("workingDir", assertThrows(InvalidInputException.class, () -> Image.builder().workingDir("rel")).field());
    assertEquals("env name", assertThrows(InvalidInputException.class, () -> Image.builder().env("A=B", "x")).field());
    assertThrows(InvalidInputException.class, () -> Layer.fromDirectory(tmp, "/app/../../etc"));
    assertThrows(InvalidInputException.class, () -> DockerArchiveTarget.of(tmp.resolve("x.tar"), "UPPER/case"));
    assertThrows(InvalidInputException.class, () -> Image.builder().from((ImageSource) null));
  }

  @Test
  void aMissingBaseTagNamesTheTag() throws IOException {
    Image base = sample(tmp.resolve("cache")).build();
    base.writeTo(OciLayoutTarget.of(tmp.resolve("base"), "base:1"));
    TagNotFoundException e = assertThrows(TagNotFoundException.class, () -> Image.builder()
        .from(OciLayoutSource.of(tmp.resolve("base"), "nope")).cacheDir(tmp.resolve("cache")).build());
    assertEquals("nope", e.tag());
  }

  @Test
  void aMissingSourceFileFailsAndLeavesNoPartialBlobOrTag() throws IOException {
    Path cache = tmp.resolve("cache");
    Path out = tmp.resolve("layout");
    Image ok = sample(cache).build();
    ok.writeTo(OciLayoutTarget.of(out, "keep"));
    List<Path> before = listing(cache);
    ImageBuilder broken = Image.builder().cacheDir(cache)
        .layer(Layer.fromFile(tmp.resolve("does-not-exist"), "/x"));
    RuntimeException e = assertThrows(RuntimeException.class, broken::build);
    assertTrue(e.getMessage().contains("does-not-exist"), e.getMessage());
    assertEquals(before, listing(cache), "no partial blob in the store");
    assertEquals(List.of("keep"), OciLayout.open(out).tags());
  }

  @Test
  void executableClosureImageRunsInBubblewrap() throws Exception {
    Path bwrap = ExternalTools.require("bwrap", "bubblewrap");
    Path umoci = ExternalTools.require("umoci", "umoci");
    Image image = Image.builder().cacheDir(tmp.resolve("cache"))
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/ls")))
        .entrypoint("/bin/sh", "-c")
        .build();
    Path out = tmp.resolve("layout");
    image.writeTo(OciLayoutTarget.of(out, "tools"));
    Path bundle = tmp.resolve("bundle");
    run(umoci.toString(), "unpack", "--rootless", "--image", out + ":tools", bundle.toString());
    String listed = run(bwrap.toString(), "--unshare-all", "--die-with-parent", "--bind",
        bundle.resolve("rootfs").toString(), "/", "/bin/sh", "-c", "ls /bin/ls && echo ok");
    assertTrue(listed.contains("ok"), listed);
    assertFalse(Files.exists(bundle.resolve("rootfs/usr/bin/python3")), "nothing beyond the closure");
  }

  @Test
  void rootfsIsUnpackedOnceAndHoldsTheLayers() throws IOException {
    Image image = sample(tmp.resolve("cache")).build();
    RootfsCache cache = RootfsCache.open(tmp.resolve("rootfs-cache"));
    CachedRootfs first = image.rootfs(cache);
    assertTrue(first.unpacked());
    assertEquals("mode=prod\n", Files.readString(first.rootfs().resolve("app/conf/app.properties")));
    assertEquals(Path.of("conf"), Files.readSymbolicLink(first.rootfs().resolve("app/current")));
    CachedRootfs second = image.rootfs(cache);
    assertFalse(second.unpacked(), "a second sandbox from the same image does no unpacking");
    assertEquals(first.rootfs(), second.rootfs());
  }

  @Test
  void zstdImagesValidateAndUnpackAndNoCompressionChoiceDependsOnThreads() throws IOException {
    Image zstd = sample(tmp.resolve("cacheZ")).compression(Compression.ZSTD).compressionThreads(1).build();
    assertEquals(MediaType.OCI_LAYER_TAR_ZSTD, zstd.layers().get(0).mediaType());
    Image zstd4 = sample(tmp.resolve("cacheZ4")).compression(Compression.ZSTD).compressionThreads(4).build();
    assertEquals(zstd.digest(), zstd4.digest());
    Image gzip1 = sample(tmp.resolve("cacheG1")).compressionThreads(1).build();
    Image gzip4 = sample(tmp.resolve("cacheG4")).compressionThreads(4).build();
    assertEquals(gzip1.digest(), gzip4.digest());
    assertEquals(zstd.config().diffIds(), gzip1.config().diffIds(), "same tar, other compression");
    assertNotEquals(zstd.layers(), gzip1.layers());

    Path out = tmp.resolve("layout-zstd");
    zstd.writeTo(OciLayoutTarget.of(out, "z"));
    OciLayout.open(out).verify();
    dev.boxkit.oci.validate.ImageValidator.validate(OciLayout.open(out));
    CachedRootfs r = zstd.rootfs(RootfsCache.open(tmp.resolve("rootfs-cache")));
    assertEquals("mode=prod\n", Files.readString(r.rootfs().resolve("app/conf/app.properties")));
  }

  @Test
  void multiPlatformIndexSelectsEachPlatform() throws Exception {
    Image amd = sample(tmp.resolve("cache")).build();
    Image arm = sample(tmp.resolve("cache")).platform(Platform.parse("linux/arm64/v8")).build();
    MultiPlatformImage both = MultiPlatformImage.of(List.of(amd, arm));
    Path out = tmp.resolve("multi");
    both.writeTo(OciLayoutTarget.of(out, "multi"));
    OciLayout layout = OciLayout.open(out);
    layout.verify();
    OciSchemas.load().assertValid(OciSchemas.Kind.INDEX, layout.readBlob(both.descriptor()));
    assertEquals(arm.digest(), Image.load(OciLayoutSource.of(out, "multi"), Platform.parse("linux/arm64/v8")).digest());
    assertEquals(amd.digest(), Image.load(OciLayoutSource.of(out, "multi"), Platform.LINUX_AMD64).digest());
    assertThrows(InvalidInputException.class, () -> MultiPlatformImage.of(List.of(amd, amd)));
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    String raw = run(skopeo.toString(), "inspect", "--raw", "oci:" + out + ":multi");
    assertTrue(raw.contains("\"arm64\""), raw);
  }

  @Test
  void anUnchangedHostLayerIsNotRebuiltAndAChangedOneIs() throws IOException {
    Path cache = tmp.resolve("cache");
    List<BuildEvent> events = new ArrayList<>();
    Image first = sample(cache).listener(events::add).build();
    assertTrue(events.contains(new BuildEvent.LayerDone(0, first.layers().get(0).digest(),
        first.config().diffIds().get(0), first.layers().get(0).size(), false)), events.toString());
    events.clear();
    Image second = sample(cache).listener(events::add).build();
    assertEquals(first.digest(), second.digest());
    assertTrue(events.stream().anyMatch(e -> e instanceof BuildEvent.LayerDone d && d.cached()), events.toString());
    assertTrue(events.stream().noneMatch(e -> e instanceof BuildEvent.LayerProgress), "nothing re-tarred");

    Files.writeString(appDir().resolve("conf/app.properties"), "mode=dev, longer\n");
    events.clear();
    Image third = sample(cache).listener(events::add).build();
    assertNotEquals(first.layers().get(0).digest(), third.layers().get(0).digest());
    assertTrue(events.stream().anyMatch(e -> e instanceof BuildEvent.LayerDone d && !d.cached()), events.toString());
  }

  @Test
  void createdCanBeChosen() throws IOException {
    Instant t = Instant.parse("2024-05-01T12:00:00Z");
    Image image = sample(tmp.resolve("cache")).created(t).build();
    assertEquals(t, image.config().created());
    assertEquals(t, image.config().history().get(0).created());
    assertEquals(MediaType.OCI_MANIFEST, image.descriptor().mediaType());
  }

  private static List<Path> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(s.filter(p -> !p.getFileName().toString().endsWith(".lock")).toList());
      all.sort(null);
      return all;
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + text);
    return text;
  }
}
