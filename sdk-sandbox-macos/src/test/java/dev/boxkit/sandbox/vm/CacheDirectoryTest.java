package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheDirectoryTest {
  @TempDir Path tmp;

  private static void backdate(Path file, long minutes) throws IOException {
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - minutes * 60_000L));
  }

  private static CacheDirectory.Writer content(String s) {
    return f -> Files.writeString(f, s);
  }

  @Test
  void aFileFoundMomentsAgoOutlivesANewerWriteBeyondTheLimit() throws IOException {
    CacheDirectory cache = new CacheDirectory(tmp.resolve("c"), ".disk", 2);
    Path a = cache.put("a", content("a"));
    Path b = cache.put("b", content("b"));
    backdate(a, 10);
    backdate(b, 5);
    assertTrue(cache.hit("a").isPresent()); // a run has just found a and is about to open it
    Path c = cache.put("c", content("c")); // another JVM writes a third file
    assertTrue(Files.exists(a), "the file in use was pruned");
    assertTrue(Files.exists(c));
    assertFalse(Files.exists(b), "the least recently used one goes");
  }

  @Test
  void filesUnusedForMinutesArePrunedToTheNewestKeep() throws IOException {
    CacheDirectory cache = new CacheDirectory(tmp.resolve("c"), ".disk", 2);
    for (int i = 0; i < 5; i++) {
      backdate(cache.put("f" + i, content("f" + i)), 10 - i);
    }
    Path last = cache.put("last", content("last"));
    try (Stream<Path> s = Files.list(cache.path())) {
      assertEquals(List.of("f4.disk", "last.disk"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertTrue(Files.exists(last));
  }

  @Test
  void concurrentWritersBeyondTheLimitNeverDeleteAFileJustHit() throws Exception {
    // Sixteen threads, keep 2: each writes its own file, then finds it and reads it, as a run
    // finds its disk and QEMU opens it; with pruning by count alone most reads failed.
    CacheDirectory cache = new CacheDirectory(tmp.resolve("c"), ".disk", 2);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> reads = new java.util.ArrayList<>();
      for (int t = 0; t < 16; t++) {
        String key = "k" + t;
        reads.add(pool.submit(() -> {
          cache.put(key, content(key));
          Path found = cache.hit(key).orElseThrow(() -> new AssertionError(key + " pruned before it was found"));
          for (int i = 0; i < 20; i++) {
            cache.put(key + "-other" + i, content("x"));
          }
          return Files.readString(found);
        }));
      }
      for (int t = 0; t < 16; t++) {
        assertEquals("k" + t, reads.get(t).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
