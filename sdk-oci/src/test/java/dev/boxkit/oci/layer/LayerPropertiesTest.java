package dev.boxkit.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class LayerPropertiesTest {
  /** A generated file: its path, attributes and content. */
  record Spec(String path, int mode, long uid, long gid, String uname, long mtime, byte[] content) {
    EntryAttributes attributes() {
      return EntryAttributes.DEFAULTS.withMode(FileMode.of(mode)).withOwner(uid, gid)
          .withOwnerNames(uname, "").withMtime(Instant.ofEpochSecond(mtime));
    }
  }

  @Property(tries = 100)
  void tarRoundTripPreservesEveryEntry(@ForAll("files") List<Spec> files, @ForAll boolean gzip)
      throws IOException {
    LayerBuilder b = new LayerBuilder(Map.of()).compression(gzip ? Compression.GZIP : Compression.NONE);
    for (Spec s : files) {
      b.addFile(s.path(), s.content(), s.attributes());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerDigests d = b.writeTo(out);
    LayerListing listing = LayerReader.read(new ByteArrayInputStream(out.toByteArray()));
    assertEquals(d.digest(), listing.digest());
    assertEquals(d.diffId(), listing.diffId());
    Map<String, TarEntryInfo> read = listing.entries().stream()
        .collect(Collectors.toMap(TarEntryInfo::name, Function.identity()));
    for (Spec s : files) {
      TarEntryInfo e = read.get(s.path().substring(1));
      assertTrue(e != null, "missing " + s.path() + " in " + read.keySet());
      assertEquals(TarEntryInfo.Type.FILE, e.type());
      assertEquals(s.mode(), e.mode());
      assertEquals(s.uid(), e.uid());
      assertEquals(s.gid(), e.gid());
      assertEquals(s.uname(), e.uname());
      assertEquals(Instant.ofEpochSecond(s.mtime()), e.mtime());
      assertEquals(s.content().length, e.sizeBytes());
      assertEquals(Digest.sha256(s.content()), e.contentDigest());
    }
    // Every other entry is a synthesised parent directory; nothing else, no duplicates.
    assertEquals(read.size(), listing.entries().size());
    for (TarEntryInfo e : listing.entries()) {
      assertTrue(e.type() == TarEntryInfo.Type.FILE || e.type() == TarEntryInfo.Type.DIRECTORY, e.name());
    }
  }

  @Property(tries = 100)
  void insertionOrderDoesNotChangeTheDigest(@ForAll("files") List<Spec> files, @ForAll long seed) {
    List<Spec> shuffled = new ArrayList<>(files);
    Collections.shuffle(shuffled, new Random(seed));
    assertEquals(digestsOf(files), digestsOf(shuffled));
  }

  private static LayerDigests digestsOf(List<Spec> files) {
    LayerBuilder b = new LayerBuilder(Map.of());
    for (Spec s : files) {
      b.addFile(s.path(), s.content(), s.attributes());
    }
    return b.writeTo(OutputStream.nullOutputStream());
  }

  @Property(tries = 15)
  void hostTreesWithDifferentTimesAndOwnersGiveTheSameDigest(
      @ForAll("files") List<Spec> files, @ForAll long seed, @ForAll @IntRange(min = 0, max = 3) int level)
      throws IOException {
    Path base = Files.createTempDirectory("layer-prop");
    try {
      Random random = new Random(seed);
      // As if built under umask 022 on one machine and 002 on another.
      Path one = materialise(base.resolve("one"), files, random, false);
      Path two = materialise(base.resolve("second-location"), reversed(files), random, true);
      LayerBlob a = LayerBuilder.create().compressionLevel(level).addTree(one, "/app").buildInto(base.resolve("out1"));
      LayerBlob b = LayerBuilder.create().compressionLevel(level).addTree(two, "/app").buildInto(base.resolve("out2"));
      assertEquals(a.digest(), b.digest());
      assertEquals(a.diffId(), b.diffId());
    } finally {
      try (Stream<Path> s = Files.walk(base)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static List<Spec> reversed(List<Spec> files) {
    List<Spec> r = new ArrayList<>(files);
    Collections.reverse(r);
    return r;
  }

  @Property(tries = 200)
  void theDefaultPolicyNeverWidensAndIgnoresGroupOtherWrite(@ForAll @IntRange(min = 0, max = 07777) int host,
      @ForAll boolean directory) {
    int mode = PermissionPolicy.HOST_WITHOUT_GROUP_OTHER_WRITE.apply(host, directory).bits();
    assertEquals(0, mode & ~host, "widened " + Integer.toOctalString(host));
    assertEquals(0, mode & 022);
    assertEquals(mode, PermissionPolicy.HOST_WITHOUT_GROUP_OTHER_WRITE.apply(host | 022, directory).bits());
    assertEquals(host, PermissionPolicy.PRESERVE.apply(host, directory).bits());
  }

  /**
   * Writes the files with their spec's permission bits (owner-readable, group/other write added
   * when {@code groupWrite}, as umask 002 leaves them), random host mtimes and (where permitted)
   * random owners.
   */
  private static Path materialise(Path root, List<Spec> files, Random random, boolean groupWrite)
      throws IOException {
    Files.createDirectories(root);
    int extra = groupWrite ? 022 : 0;
    for (Spec s : files) {
      Path p = root.resolve(s.path().substring(1));
      Files.createDirectories(p.getParent());
      Files.write(p, s.content());
      Files.setAttribute(p, "unix:mode", (s.mode() & 01755) | 0600 | extra);
      for (Path d = p.getParent(); !d.equals(root.getParent()); d = d.getParent()) {
        Files.setAttribute(d, "unix:mode", 0755 | extra);
      }
      Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(random.nextInt(2_000_000_000))));
      try {
        Files.setAttribute(p, "unix:uid", random.nextInt(60_000));
      } catch (IOException | UnsupportedOperationException e) {
        // not root: owners stay as they are, mtimes still differ
      }
    }
    return root;
  }

  @Provide
  Arbitrary<List<Spec>> files() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12),
        Arbitraries.strings().withChars("aé字ü-_. €ß").ofMinLength(1).ofMaxLength(8)
            .filter(x -> !x.equals(".") && !x.equals("..") && !x.startsWith(".wh.")),
        Arbitraries.strings().withCharRange('a', 'c').ofLength(130));
    Arbitrary<String> path = segment.list().ofMinSize(1).ofMaxSize(3).map(l -> "/" + String.join("/", l));
    Arbitrary<Spec> spec = Combinators.combine(path, Arbitraries.integers().between(0, 07777),
        Arbitraries.longs().between(0, EntryAttributes.MAX_ID), Arbitraries.longs().between(0, 3_000_000),
        Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(40),
        Arbitraries.longs().between(0, 10_000_000_000L),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(3000))
        .as(Spec::new);
    // Unique paths, none the ancestor of another (a file cannot be a parent directory).
    return spec.list().ofMaxSize(12).map(LayerPropertiesTest::prefixFree);
  }

  private static List<Spec> prefixFree(List<Spec> specs) {
    Map<String, Spec> kept = new LinkedHashMap<>();
    for (Spec s : specs) {
      ImagePath p = ImagePath.parse(s.path());
      boolean clash = kept.values().stream().map(k -> ImagePath.parse(k.path()))
          .anyMatch(k -> p.startsWith(k) || k.startsWith(p));
      if (!clash) {
        kept.put(p.value(), new Spec(p.value(), s.mode(), s.uid(), s.gid(), s.uname(), s.mtime(), s.content()));
      }
    }
    return List.copyOf(kept.values());
  }
}
