package dev.boxkit.oci.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.elf.ExecutableClosure.HostFile;
import dev.boxkit.oci.elf.ExecutableClosure.Symlink;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutableClosureTest {

  @Test
  void readsInterpreterAndNeededOfAHostProgram() throws IOException {
    Path sh = Path.of("/bin/sh").toRealPath();
    ElfFile elf = ElfFile.read(sh);
    assertTrue(elf.interpreter().isPresent(), "dynamic /bin/sh has PT_INTERP");
    assertTrue(elf.needed().stream().anyMatch(n -> n.startsWith("libc.so")), elf.needed().toString());
  }

  @Test
  void parsesTheHostLdSoCache() throws IOException {
    LdSoCache cache = LdSoCache.read(Path.of("/etc/ld.so.cache"));
    assertTrue(cache.size() > 0);
    assertFalse(cache.lookup("libc.so.6").isEmpty());
    assertTrue(Files.exists(Path.of(cache.lookup("libc.so.6").get(0))));
  }

  /** The closure must match what the real loader resolves: compare with ldd's answer. */
  @Test
  void closureHoldsEveryLibraryLddReports() throws Exception {
    Path ldd = ExternalTools.require("ldd", "libc-bin");
    Path ls = Path.of("/bin/ls");
    ExecutableClosure closure = ExecutableClosure.of(List.of(ls));
    Process p = new ProcessBuilder(ldd.toString(), ls.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    List<String> expected = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] parts = line.trim().split("\\s+");
      String path = line.contains("=>") ? (parts.length > 2 ? parts[2] : "") : parts[0];
      if (path.startsWith("/")) {
        expected.add(Path.of(path).toRealPath().toString());
      }
    }
    assertFalse(expected.isEmpty(), out);
    TreeSet<String> files = new TreeSet<>();
    closure.entries().forEach((k, v) -> {
      if (v instanceof HostFile) {
        files.add(k);
      }
    });
    for (String e : expected) {
      assertTrue(files.contains(e), e + " missing from " + files);
    }
    assertTrue(files.contains(ls.toRealPath().toString()));
  }

  @Test
  void keepsSymlinksOnTheWayIncludingDirectoryLinks(@TempDir Path dir) throws IOException {
    Path real = Files.createDirectories(dir.resolve("usr/bin"));
    Files.writeString(real.resolve("tool"), "#!/bin/sh\necho hi\n");
    Files.createSymbolicLink(dir.resolve("bin"), Path.of("usr/bin"));
    Files.createSymbolicLink(real.resolve("tool-link"), Path.of("tool"));
    ExecutableClosure c = ExecutableClosure.of(List.of(dir.resolve("bin/tool-link")),
        LdSoCache.empty(), List.of());
    Path realDir = dir.toRealPath();
    assertEquals(new Symlink("usr/bin"), c.entries().get(realDir.resolve("bin").toString()));
    assertEquals(new Symlink("tool"), c.entries().get(realDir.resolve("usr/bin/tool-link").toString()));
    assertInstanceOf(HostFile.class, c.entries().get(realDir.resolve("usr/bin/tool").toString()));
  }

  /** libjava.so needs libjvm.so, which only the launcher knows where to find (lib/server). */
  @Test
  void aGivenLibrarySatisfiesANeededNameBeforeAnySearch() throws IOException {
    Path lib = Path.of(System.getProperty("java.home"), "lib");
    Path libjava = lib.resolve("libjava.so");
    Path libjvm = lib.resolve("server/libjvm.so");
    ExternalTools.requireHost(Files.isRegularFile(libjava) && Files.isRegularFile(libjvm),
        "a JDK with lib/libjava.so and lib/server/libjvm.so");
    assertThrows(ExecutableClosure.MissingLibraryException.class,
        () -> ExecutableClosure.of(List.of(libjava)));
    ExecutableClosure c = ExecutableClosure.of(List.of(libjava, libjvm));
    assertInstanceOf(HostFile.class, c.entries().get(libjvm.toRealPath().toString()));
  }

  @Test
  void rejectsRelativeAndMissingPrograms() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> ExecutableClosure.of(List.of(Path.of("bin/sh"))));
    assertEquals("executable", e.field());
    assertThrows(InvalidInputException.class,
        () -> ExecutableClosure.of(List.of(Path.of("/no/such/program"))));
  }

  @Test
  void missingLibraryNamesItAndItsUser() throws IOException {
    Path sh = Path.of("/bin/sh").toRealPath();
    ExecutableClosure.MissingLibraryException e = assertThrows(
        ExecutableClosure.MissingLibraryException.class,
        () -> ExecutableClosure.of(List.of(sh), LdSoCache.empty(), List.of("/nonexistent")));
    assertTrue(e.getMessage().contains("libc.so.6"), e.getMessage());
    assertTrue(e.getMessage().contains(sh.toString()), e.getMessage());
  }

  @Test
  void rejectsNonElfAsElf(@TempDir Path dir) throws IOException {
    Path f = Files.writeString(dir.resolve("x"), "not elf");
    assertFalse(ElfFile.isElf(f));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ElfFile.read(f));
    assertEquals("elf", e.field());
  }
}
