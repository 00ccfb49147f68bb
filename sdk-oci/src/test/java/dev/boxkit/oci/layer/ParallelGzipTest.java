package dev.boxkit.oci.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.testing.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Block-parallel gzip: one valid member whose bytes never depend on the number of threads. */
class ParallelGzipTest {
  /** Small blocks, so that a few KiB of input cross several block boundaries. */
  private static final int BLOCK = ParallelGzipOutputStream.DICTIONARY_BYTES;

  @TempDir
  Path tmp;

  @Property(tries = 60)
  void oneTwoAndEightThreadsGiveTheSameBytesAndTheInputBack(@ForAll("inputs") byte[] input,
      @ForAll @IntRange(min = 0, max = 9) int level, @ForAll("writeSizes") int writeSize) throws IOException {
    byte[] one = gzip(input, level, BLOCK, 1, writeSize);
    byte[] two = gzip(input, level, BLOCK, 2, 7);
    byte[] eight = gzip(input, level, BLOCK, 8, 65536);
    assertArrayEquals(one, two);
    assertArrayEquals(one, eight);
    assertEquals(Digest.sha256(one), Digest.sha256(eight));
    assertArrayEquals(input, gunzip(one));
  }

  @Provide
  Arbitrary<byte[]> inputs() {
    // Compressible text, random noise and long runs, from empty to several blocks (and exact
    // multiples of the block size, where the last block is empty).
    Arbitrary<byte[]> text = Arbitraries.strings().withChars("abc \n").ofMaxLength(5 * BLOCK).map(s -> s.getBytes(UTF_8));
    Arbitrary<byte[]> noise = Arbitraries.integers().between(0, 4 * BLOCK).map(n -> {
      byte[] b = new byte[n];
      new Random(n).nextBytes(b);
      return b;
    });
    Arbitrary<byte[]> exact = Arbitraries.integers().between(0, 4).map(k -> new byte[k * BLOCK]);
    return Arbitraries.oneOf(text, noise, exact);
  }

  @Provide
  Arbitrary<Integer> writeSizes() {
    return Arbitraries.of(1, 511, 4096, BLOCK, BLOCK + 1, 1 << 20);
  }

  @Test
  void systemGzipAndTarReadALayer() throws Exception {
    Path gzip = ExternalTools.require("gzip", "gzip");
    Path tar = ExternalTools.require("tar", "tar");
    byte[] noise = new byte[1_000_000];
    new Random(7).nextBytes(noise);
    LayerBlob blob = LayerBuilder.create().compressionThreads(4)
        .addFile("/etc/text", "hello world\n".repeat(50_000).getBytes(UTF_8))
        .addFile("/bin/noise", noise)
        .build(tmp.resolve("layer.tar.gz"));
    Process t = new ProcessBuilder(gzip.toString(), "-t", blob.file().toString()).redirectErrorStream(true).start();
    String out = new String(t.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, t.waitFor(), "gzip -t: " + out);
    Process d = new ProcessBuilder(gzip.toString(), "-dc", blob.file().toString()).start();
    byte[] tarBytes = d.getInputStream().readAllBytes();
    assertEquals(0, d.waitFor());
    assertEquals(blob.diffId(), Digest.sha256(tarBytes));
    Path dir = Files.createDirectories(tmp.resolve("x"));
    Process x = new ProcessBuilder(tar.toString(), "-xzf", blob.file().toString(), "-C", dir.toString())
        .redirectErrorStream(true).start();
    String xout = new String(x.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, x.waitFor(), "tar -xzf: " + xout);
    assertArrayEquals(noise, Files.readAllBytes(dir.resolve("bin/noise")));
  }

  @Test
  void headerIsFixedAndTrailerHoldsCrcAndLength() throws IOException {
    byte[] input = "x".repeat(3 * BLOCK + 5).getBytes(UTF_8);
    byte[] gz = gzip(input, 6, BLOCK, 2, 1000);
    assertArrayEquals(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff}, Arrays.copyOf(gz, 10));
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(input);
    long c = crc.getValue();
    int n = gz.length;
    assertEquals(c, (gz[n - 8] & 0xffL) | (gz[n - 7] & 0xffL) << 8 | (gz[n - 6] & 0xffL) << 16
        | (gz[n - 5] & 0xffL) << 24);
    assertEquals(input.length, (gz[n - 4] & 0xff) | (gz[n - 3] & 0xff) << 8 | (gz[n - 2] & 0xff) << 16
        | (gz[n - 1] & 0xff) << 24);
    assertEquals(4, ParallelGzipOutputStream.header(1)[8]);
    assertEquals(2, ParallelGzipOutputStream.header(9)[8]);
  }

  @Test
  void ratioStaysNearSingleStreamGzip() throws IOException {
    // Text whose repeats straddle block boundaries: the 32 KiB dictionary keeps them matchable.
    StringBuilder sb = new StringBuilder();
    Random r = new Random(3);
    while (sb.length() < 2_000_000) {
      sb.append("line ").append(r.nextInt(5000)).append(" of a build log with repeated words\n");
    }
    byte[] input = sb.toString().getBytes(UTF_8);
    byte[] parallel = gzip(input, 6, ParallelGzipOutputStream.DEFAULT_BLOCK_BYTES, 2, 65536);
    ByteArrayOutputStream single = new ByteArrayOutputStream();
    try (OutputStream gz = new java.util.zip.GZIPOutputStream(single)) {
      gz.write(input);
    }
    assertTrue(parallel.length < single.size() * 1.01,
        parallel.length + " bytes in blocks vs " + single.size() + " in one stream");
  }

  @Test
  void aFailingSinkFailsTheWrite() {
    OutputStream failing = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("disk full");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (len > 10) {
          throw new IOException("disk full");
        }
      }
    };
    byte[] noise = new byte[20 * BLOCK];
    new Random(1).nextBytes(noise);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      IOException e = assertThrows(IOException.class, () -> {
        try (OutputStream gz = new ParallelGzipOutputStream(failing, 6, BLOCK, pool, 3)) {
          gz.write(noise);
        }
      });
      assertTrue(e.getMessage().contains("disk full"), e.getMessage());
    } finally {
      pool.shutdownNow();
    }
  }

  static byte[] gzip(byte[] input, int level, int block, int threads, int writeSize) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream gz = new ParallelGzipOutputStream(out, level, block, pool, 2 * threads + 1)) {
        for (int off = 0; off < input.length; off += writeSize) {
          gz.write(input, off, Math.min(writeSize, input.length - off));
        }
      }
      return out.toByteArray();
    } finally {
      pool.shutdownNow();
    }
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }
}
