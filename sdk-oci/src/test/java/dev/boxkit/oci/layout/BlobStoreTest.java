package dev.boxkit.oci.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.MediaType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {
  @TempDir Path tmp;

  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.walk(tmp)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  @Test
  void contentThatIsNotWhatTheDescriptorSaysIsNotStoredAndLeavesNothing() throws IOException {
    BlobStore store = BlobStore.at(tmp.resolve("blobs"));
    byte[] good = "good".getBytes(StandardCharsets.UTF_8);
    Descriptor expected = Descriptor.of(MediaType.OCI_CONFIG, good);
    assertThrows(DigestMismatchException.class,
        () -> store.write(new ByteArrayInputStream("evil".getBytes(StandardCharsets.UTF_8)), expected));
    assertThrows(DigestMismatchException.class,
        () -> store.write(new ByteArrayInputStream("good and more".getBytes(StandardCharsets.UTF_8)), expected));
    assertEquals(List.of(), files(), "no blob, no temporary file");
    assertThrows(BlobNotFoundException.class, () -> store.read(expected));

    assertEquals(expected, store.write(new ByteArrayInputStream(good), expected));
    assertArrayEquals(good, store.read(expected));
    assertEquals(List.of(store.path(expected.digest())), files());
  }

  @Test
  void aTruncatedCopyIsRewrittenAndReadsAreVerified() throws IOException {
    BlobStore store = BlobStore.at(tmp.resolve("blobs"));
    Descriptor d = store.write("content".getBytes(StandardCharsets.UTF_8), MediaType.OCI_CONFIG);
    Files.writeString(store.path(d.digest()), "cont");
    assertThrows(DigestMismatchException.class, () -> store.read(d));
    store.write("content".getBytes(StandardCharsets.UTF_8), MediaType.OCI_CONFIG);
    assertEquals("content", new String(store.read(d), StandardCharsets.UTF_8));
  }

  @Test
  void concurrentWritersOfOneBlobAllSucceedWithOneCopy() throws Exception {
    BlobStore store = BlobStore.at(tmp.resolve("blobs"));
    byte[] content = new byte[1 << 20];
    new java.util.Random(7).nextBytes(content);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Descriptor>> writes = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        writes.add(pool.submit(() -> store.write(new ByteArrayInputStream(content), MediaType.OCI_LAYER_TAR)));
      }
      Descriptor first = writes.get(0).get();
      for (Future<Descriptor> w : writes) {
        assertEquals(first, w.get());
      }
      assertEquals(List.of(store.path(first.digest())), files());
      assertTrue(store.has(first.digest(), content.length));
    } finally {
      pool.shutdownNow();
    }
  }
}
