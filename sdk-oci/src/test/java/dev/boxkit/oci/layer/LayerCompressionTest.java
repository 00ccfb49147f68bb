package dev.boxkit.oci.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.testing.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers compressed on several threads, gzip and zstd: same bytes whatever the thread count. */
class LayerCompressionTest {
  @TempDir
  Path tmp;

  private static LayerBuilder sample(Compression c, int threads) {
    byte[] noise = new byte[700_000];
    new Random(5).nextBytes(noise);
    return new LayerBuilder(java.util.Map.of()).compression(c).compressionThreads(threads)
        .addFile("/etc/text", "some text that compresses well\n".repeat(40_000).getBytes(UTF_8))
        .addFile("/bin/noise", noise)
        .addSymlink("/bin/link", "noise");
  }

  @Test
  void digestsDoNotDependOnTheThreadCount() {
    for (Compression c : Compression.values()) {
      LayerDigests one = sample(c, 1).writeTo(OutputStream.nullOutputStream());
      LayerDigests two = sample(c, 2).writeTo(OutputStream.nullOutputStream());
      LayerDigests eight = sample(c, 8).writeTo(OutputStream.nullOutputStream());
      assertEquals(one, two, c.toString());
      assertEquals(one, eight, c.toString());
      assertEquals(c.mediaType(), one.mediaType());
    }
  }

  @Test
  void zstdLayerIsReadBackWithItsDigests() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerDigests d = sample(Compression.ZSTD, 4).writeTo(out);
    byte[] blob = out.toByteArray();
    assertEquals(MediaType.OCI_LAYER_TAR_ZSTD, d.mediaType());
    assertEquals(Digest.sha256(blob), d.digest());
    assertEquals(Compression.ZSTD, Compression.detect(blob));
    LayerListing l = LayerReader.read(new ByteArrayInputStream(blob));
    assertEquals(Compression.ZSTD, l.compression());
    assertEquals(d.diffId(), l.diffId());
    assertEquals(d.digest(), l.digest());
    assertEquals(d.uncompressedSizeBytes(), l.uncompressedSizeBytes());
    assertEquals(d.diffId(), sample(Compression.GZIP, 2).writeTo(OutputStream.nullOutputStream()).diffId(),
        "same tar whatever the compression");
  }

  @Test
  void systemZstdAndTarReadAZstdLayer() throws Exception {
    Path zstd = ExternalTools.require("zstd", "zstd");
    Path tar = ExternalTools.require("tar", "tar");
    LayerBlob blob = sample(Compression.ZSTD, 2).build(tmp.resolve("layer.tar.zst"));
    Process d = new ProcessBuilder(zstd.toString(), "-dc", blob.file().toString()).start();
    byte[] tarBytes = d.getInputStream().readAllBytes();
    assertEquals(0, d.waitFor());
    assertEquals(blob.diffId(), Digest.sha256(tarBytes));
    Path dir = Files.createDirectories(tmp.resolve("x"));
    Process x = new ProcessBuilder(tar.toString(), "--zstd", "-xf", blob.file().toString(), "-C", dir.toString())
        .redirectErrorStream(true).start();
    String msg = new String(x.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, x.waitFor(), "tar --zstd -xf: " + msg);
    assertEquals("noise", Files.readSymbolicLink(dir.resolve("bin/link")).toString());
    assertEquals(700_000, Files.size(dir.resolve("bin/noise")));
  }

  @Test
  void levelsAreCheckedAgainstTheCompression() {
    LayerBuilder b = new LayerBuilder(java.util.Map.of());
    assertThrows(InvalidInputException.class, () -> b.compressionLevel(10), "gzip stops at 9");
    b.compression(Compression.ZSTD).compressionLevel(19);
    assertThrows(InvalidInputException.class, () -> b.compression(Compression.GZIP),
        "level 19 set before does not fit gzip");
    assertThrows(InvalidInputException.class, () -> b.compressionLevel(0), "zstd starts at 1");
    assertThrows(InvalidInputException.class, () -> b.compressionThreads(0));
    LayerDigests fast = sample(Compression.ZSTD, 2).compressionLevel(1).writeTo(OutputStream.nullOutputStream());
    LayerDigests dflt = sample(Compression.ZSTD, 2).writeTo(OutputStream.nullOutputStream());
    LayerDigests three = sample(Compression.ZSTD, 2).compressionLevel(3).writeTo(OutputStream.nullOutputStream());
    assertNotEquals(fast.digest(), dflt.digest());
    assertEquals(dflt, three, "zstd's default level is 3");
  }

  @Test
  void blocksInFlightKeepThreadsBusyWithinAQuarterOfTheHeap() {
    assertEquals(5, Compression.blocksInFlight(2, 1L << 30));
    assertEquals(33, Compression.blocksInFlight(16, 1L << 30));
    assertEquals(64, Compression.blocksInFlight(256, 64L << 20), "64 blocks of 2 x 128 KiB = 16 MiB");
    assertEquals(2, Compression.blocksInFlight(1, 1L << 20));
  }

  @Test
  void mediaTypesMapToOneCompression() {
    assertEquals(Compression.GZIP, Compression.fromMediaType(MediaType.OCI_LAYER_TAR_GZIP));
    assertEquals(Compression.GZIP, Compression.fromMediaType(MediaType.DOCKER_LAYER_TAR_GZIP));
    assertEquals(Compression.GZIP, Compression.fromMediaType(MediaType.DOCKER_FOREIGN_LAYER));
    assertEquals(Compression.ZSTD, Compression.fromMediaType(MediaType.OCI_LAYER_TAR_ZSTD));
    assertEquals(Compression.ZSTD,
        Compression.fromMediaType("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"));
    assertEquals(Compression.NONE, Compression.fromMediaType(MediaType.OCI_LAYER_TAR));
    for (Compression c : Compression.values()) {
      assertEquals(c, Compression.fromMediaType(c.mediaType()));
    }
    assertThrows(InvalidInputException.class, () -> Compression.fromMediaType(MediaType.OCI_CONFIG));
    assertThrows(InvalidInputException.class, () -> Compression.fromMediaType(null));
  }

  /** Builds a 1 GiB layer of zeros in a JVM with a 64 MiB heap: compression streams. */
  public static void main(String[] args) {
    long size = Long.parseLong(args[1]);
    LayerDigests d = LayerBuilder.create().compression(Compression.valueOf(args[0]))
        .addFile("/big", size, () -> new java.io.InputStream() {
          private long left = size;

          @Override
          public int read() {
            return left-- > 0 ? 0 : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
          }
        })
        .writeTo(OutputStream.nullOutputStream());
    System.out.print(d.uncompressedSizeBytes());
  }

  @Test
  void aGigabyteLayerBuildsInA64MegabyteHeap() throws Exception {
    long size = 1L << 30;
    for (String c : new String[] {"GZIP", "ZSTD"}) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
          LayerCompressionTest.class.getName(), c, Long.toString(size))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), UTF_8).strip();
      assertEquals(0, p.waitFor(), c + ": " + out);
      assertTrue(Long.parseLong(out) > size, c + ": " + out);
    }
  }

  @Test
  void gzipOfTheBuilderMatchesTheStreamOnItsOwn() throws IOException {
    // The builder adds nothing around the stream: same tar, same block layout, same bytes.
    ByteArrayOutputStream layer = new ByteArrayOutputStream();
    LayerDigests d = sample(Compression.GZIP, 3).writeTo(layer);
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    sample(Compression.NONE, 1).writeTo(tar);
    byte[] again = ParallelGzipTest.gzip(tar.toByteArray(), 6, ParallelGzipOutputStream.DEFAULT_BLOCK_BYTES, 2, 8192);
    assertArrayEquals(again, layer.toByteArray());
    assertEquals(Digest.sha256(again), d.digest());
  }
}
