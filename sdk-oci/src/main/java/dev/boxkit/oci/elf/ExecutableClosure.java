package dev.boxkit.oci.elf;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The files a set of host programs needs at run time: each program, its {@code PT_INTERP}
 * interpreter, every {@code DT_NEEDED} library found the way {@code ld.so(8)} finds it
 * ({@code DT_RPATH} when there is no {@code DT_RUNPATH}, then {@code DT_RUNPATH}, then
 * {@code /etc/ld.so.cache}, then the default directories; {@code $ORIGIN} expanded), and every
 * symlink on the way to each of them (including directory symlinks such as a merged-/usr
 * {@code /lib64 -> usr/lib64}), kept as symlinks. A {@code DT_NEEDED} name that is the file name of
 * one of the given programs resolves to it first, as ld.so reuses an object already loaded.
 *
 * <p>Image paths equal host paths, so the programs run at the same paths inside an image.
 * {@code LD_LIBRARY_PATH} is ignored on purpose: the closure must not depend on the caller's
 * environment.
 *
 * @param entries absolute image path → what goes there, sorted by path
 */
public record ExecutableClosure(SortedMap<String, Entry> entries) {

  /** What one image path holds. */
  public sealed interface Entry permits HostFile, Symlink {}

  /**
   * A regular file copied from the host.
   *
   * @param source the real (symlink-free) host path
   */
  public record HostFile(Path source) implements Entry {}

  /**
   * A symbolic link, kept as a link.
   *
   * @param target the link's target exactly as the host has it (absolute or relative)
   */
  public record Symlink(String target) implements Entry {}

  /** Copies the map; the closure is immutable. */
  public ExecutableClosure {
    entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  /** Directories {@code ld.so} searches last on 64-bit Debian-family systems, in order. */
  public static final List<String> DEFAULT_LIBRARY_DIRS = List.of(
      "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
      "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
      "/lib64", "/usr/lib64", "/lib", "/usr/lib");

  private static final int MAX_SYMLINKS = 40;

  /**
   * Resolves the closure of {@code programs} against the host's {@code /etc/ld.so.cache} and the
   * {@link #DEFAULT_LIBRARY_DIRS}.
   *
   * @param programs absolute host paths of programs (ELF or scripts; a non-ELF file is included
   *     as is, with no dependencies)
   * @return the closure
   * @throws InvalidInputException (field {@code "executable"}) for a relative or missing path
   * @throws MissingLibraryException when a {@code DT_NEEDED} library cannot be found
   * @throws dev.boxkit.oci.OciException if reading a file fails
   */
  public static ExecutableClosure of(List<Path> programs) {
    try {
      return new Resolver(LdSoCache.read(Path.of("/etc/ld.so.cache")), DEFAULT_LIBRARY_DIRS)
          .resolve(programs);
    } catch (IOException e) {
      throw new OciException("reading an executable closure: " + e, e);
    }
  }

  /**
   * Resolves the closure with an explicit cache and default directories (for tests and for
   * hosts laid out differently).
   *
   * @see #of(List)
   */
  public static ExecutableClosure of(List<Path> programs, LdSoCache cache, List<String> defaultDirs) {
    try {
      return new Resolver(cache, defaultDirs).resolve(programs);
    } catch (IOException e) {
      throw new OciException("reading an executable closure: " + e, e);
    }
  }

  /**
   * Checks that every ELF file of the closure is built for {@code architecture}.
   *
   * @param architecture an OCI architecture, e.g. {@code amd64} or {@code arm64}
   * @throws ArchitectureMismatchException naming the first file (in path order) built for
   *     another machine, its architecture and {@code architecture}
   * @throws dev.boxkit.oci.OciException if reading a file fails
   */
  public void requireArchitecture(String architecture) {
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (e.getValue() instanceof HostFile f) {
        try {
          if (!ElfFile.isElf(f.source())) {
            continue;
          }
          ElfFile elf = ElfFile.read(f.source());
          String arch = elf.architecture().orElse("ELF machine " + elf.machine());
          if (!arch.equals(architecture)) {
            throw new ArchitectureMismatchException(f.source().toString(), arch, architecture);
          }
        } catch (IOException ex) {
          throw new OciException("reading " + f.source() + ": " + ex, ex);
        }
      }
    }
  }

  /** An executable or library of the closure is built for another machine than the image's. */
  public static final class ArchitectureMismatchException extends OciException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final String fileArchitecture;
    private final String imageArchitecture;

    /**
     * @param file the host path of the ELF file
     * @param fileArchitecture the architecture it is built for, e.g. {@code amd64}
     * @param imageArchitecture the image platform's architecture, e.g. {@code arm64}
     */
    public ArchitectureMismatchException(String file, String fileArchitecture, String imageArchitecture) {
      super(file + " is built for " + fileArchitecture + " but the image platform's architecture is "
          + imageArchitecture + "; use programs built for " + imageArchitecture
          + " or platform(...) for " + fileArchitecture);
      this.file = file;
      this.fileArchitecture = fileArchitecture;
      this.imageArchitecture = imageArchitecture;
    }

    /** @return the host path of the mismatching ELF file */
    public String file() {
      return file;
    }

    /** @return the architecture the file is built for */
    public String fileArchitecture() {
      return fileArchitecture;
    }

    /** @return the image platform's architecture */
    public String imageArchitecture() {
      return imageArchitecture;
    }
  }

  /** A {@code DT_NEEDED} library that none of the search directories holds. */
  public static final class MissingLibraryException extends OciException {
    private static final long serialVersionUID = 1L;

    /**
     * @param soname the library asked for
     * @param neededBy the host path of the object that needs it
     * @param searched the directories that were searched
     */
    public MissingLibraryException(String soname, String neededBy, List<String> searched) {
      super("library " + soname + " needed by " + neededBy + " not found in " + searched
          + " nor in /etc/ld.so.cache");
    }
  }

  private static final class Resolver {
    private final LdSoCache cache;
    private final List<String> defaultDirs;
    private final SortedMap<String, Entry> out = new TreeMap<>();
    private final Set<String> visitedObjects = new HashSet<>();
    /** The given programs by file name: like objects ld.so has already loaded, they satisfy a
     *  DT_NEEDED of that name before any search (a JDK's libjava.so needs the libjvm.so that the
     *  launcher loaded by path from lib/server). */
    private final java.util.Map<String, Path> given = new java.util.HashMap<>();

    Resolver(LdSoCache cache, List<String> defaultDirs) {
      this.cache = cache;
      this.defaultDirs = List.copyOf(defaultDirs);
    }

    ExecutableClosure resolve(List<Path> programs) throws IOException {
      Deque<Path> work = new ArrayDeque<>();
      for (Path p : programs) {
        if (p == null || !p.isAbsolute()) {
          throw new InvalidInputException("executable", String.valueOf(p), "must be an absolute host path");
        }
        if (!Files.isRegularFile(p)) {
          throw new InvalidInputException("executable", p.toString(), "no such regular file");
        }
        work.add(p);
        given.putIfAbsent(p.getFileName().toString(), p);
      }
      while (!work.isEmpty()) {
        Path real = addWithLinks(work.poll());
        if (!visitedObjects.add(real.toString()) || !ElfFile.isElf(real)) {
          continue;
        }
        ElfFile elf = ElfFile.read(real);
        elf.interpreter().ifPresent(i -> work.add(Path.of(i)));
        for (String soname : elf.needed()) {
          work.add(findLibrary(soname, elf, real));
        }
      }
      return new ExecutableClosure(out);
    }

    private Path findLibrary(String soname, ElfFile needer, Path neederPath) throws IOException {
      if (soname.contains("/")) {
        Path p = Path.of(soname);
        return p.isAbsolute() ? p : neederPath.resolveSibling(p);
      }
      Path loaded = given.get(soname);
      if (loaded != null && loadable(loaded, needer)) {
        return loaded;
      }
      String origin = neederPath.getParent().toString();
      List<String> dirs = new ArrayList<>();
      if (needer.runpath().isEmpty()) {
        needer.rpath().forEach(d -> dirs.add(d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)));
      }
      needer.runpath().forEach(d -> dirs.add(d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)));
      for (String dir : dirs) {
        Path candidate = Path.of(dir, soname);
        if (loadable(candidate, needer)) {
          return candidate;
        }
      }
      for (String cached : cache.lookup(soname)) {
        Path candidate = Path.of(cached);
        if (loadable(candidate, needer)) {
          return candidate;
        }
      }
      for (String dir : defaultDirs) {
        Path candidate = Path.of(dir, soname);
        if (loadable(candidate, needer)) {
          return candidate;
        }
      }
      List<String> searched = new ArrayList<>(dirs);
      searched.addAll(defaultDirs);
      throw new MissingLibraryException(soname, neederPath.toString(), searched);
    }

    private static boolean loadable(Path candidate, ElfFile needer) throws IOException {
      if (!Files.isRegularFile(candidate) || !ElfFile.isElf(candidate)) {
        return false;
      }
      try {
        return ElfFile.read(candidate).compatibleWith(needer);
      } catch (InvalidInputException e) {
        return false;
      }
    }

    /**
     * Walks {@code path} component by component from {@code /}, recording every symlink met
     * (at its symlink-free location) and the final regular file.
     *
     * @return the symlink-free host path of the file
     */
    private Path addWithLinks(Path path) throws IOException {
      Deque<String> pending = new ArrayDeque<>();
      for (Path part : path.normalize()) {
        pending.add(part.toString());
      }
      Path current = Path.of("/");
      int links = 0;
      while (!pending.isEmpty()) {
        String part = pending.poll();
        if (part.equals(".") || part.isEmpty()) {
          continue;
        }
        if (part.equals("..")) {
          current = current.getParent() == null ? current : current.getParent();
          continue;
        }
        Path next = current.resolve(part);
        if (Files.isSymbolicLink(next)) {
          if (++links > MAX_SYMLINKS) {
            throw new InvalidInputException("executable", path.toString(), "too many levels of symbolic links");
          }
          Path target = Files.readSymbolicLink(next);
          out.put(next.toString(), new Symlink(target.toString()));
          Deque<String> rest = new ArrayDeque<>();
          for (Path t : target) {
            rest.add(t.toString());
          }
          rest.addAll(pending);
          pending = rest;
          if (target.isAbsolute()) {
            current = Path.of("/");
          }
        } else {
          current = next;
        }
      }
      if (!Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS)) {
        throw new InvalidInputException("executable", path.toString(), "does not resolve to a regular file");
      }
      out.put(current.toString(), new HostFile(current));
      return current;
    }
  }
}
