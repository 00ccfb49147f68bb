package dev.boxkit.oci.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedFileTest {
  @TempDir Path tmp;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFailedWriteLeavesTheTargetAsItWasAndNothingBesideIt() throws IOException {
    Path target = Files.writeString(tmp.resolve("index.json"), "old");
    try (StagedFile staged = StagedFile.beside(target)) {
      Files.writeString(staged.path(), "half of the new");
      assertTrue(staged.path().getFileName().toString().startsWith(".index.json.tmp-"));
      assertEquals(target.getParent(), staged.path().getParent(), "same directory, so rename is atomic");
      // no commit: the writer failed
    }
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("index.json"), names());
  }

  @Test
  void commitReplacesAndCommitIfAbsentKeeps() throws IOException {
    Path target = tmp.resolve("sub/dir/blob");
    try (StagedFile staged = StagedFile.beside(target)) {
      Files.writeString(staged.path(), "one");
      staged.commit();
    }
    assertEquals("one", Files.readString(target));
    try (StagedFile staged = StagedFile.beside(target, false)) {
      Files.writeString(staged.path(), "two");
      assertFalse(staged.commitIfAbsent());
    }
    assertEquals("one", Files.readString(target), "an existing content-addressed file is kept");
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertEquals(1, s.count(), "the unused temporary file is gone");
    }
    try (StagedFile staged = StagedFile.beside(target)) {
      Files.writeString(staged.path(), "three");
      staged.commitAs(tmp.resolve("sub/dir/other"));
    }
    assertEquals("three", Files.readString(tmp.resolve("sub/dir/other")));
  }
}
