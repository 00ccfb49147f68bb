package dev.boxkit.samples.quickstart;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.elf.ElfFile;
import dev.boxkit.oci.elf.ExecutableClosure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;

/**
 * A Java image with no base image: a {@code jlink}ed runtime (java.base only) at
 * {@code /opt/java}, the host libraries it needs (its ELF closure), and a small app compiled here.
 */
final class JavaImage {
  static final String HELLO = String.join("\n",
      "public class Hello {",
      "  public static void main(String[] args) {",
      "    System.out.println(\"Hello from Java \" + Runtime.version() + \" in a sandbox: pid \"",
      "        + ProcessHandle.current().pid() + \", user \" + System.getProperty(\"user.name\")",
      "        + \", \" + Runtime.getRuntime().availableProcessors() + \" cpus\");",
      "  }",
      "}",
      "");

  private JavaImage() {}

  /**
   * @return the image, or empty (with the reason printed) when this JDK has no {@code jmods}
   *     (Debian: package {@code openjdk-17-jdk-headless}) or no {@code jlink}/{@code javac}
   */
  static Optional<Image> build(Path work, Path store, PrintStream out) {
    Path jmods = Path.of(System.getProperty("java.home"), "jmods");
    Optional<ToolProvider> jlink = ToolProvider.findFirst("jlink");
    JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    if (!Files.isDirectory(jmods) || jlink.isEmpty() || javac == null) {
      out.println("skipping the Java image: this JDK lacks " + (javac == null ? "javac" : jlink.isEmpty()
          ? "jlink" : jmods + " (Debian: apt-get install openjdk-17-jdk-headless)"));
      return Optional.empty();
    }
    try {
      Path jre = work.resolve("jre");
      if (!Files.isRegularFile(jre.resolve("bin/java"))) {
        tool(jlink.get(), "--add-modules", "java.base", "--strip-debug", "--no-man-pages",
            "--no-header-files", "--output", jre.toString());
      }
      Path src = Files.createDirectories(work.resolve("app-src"));
      Files.writeString(src.resolve("Hello.java"), HELLO);
      Path classes = Files.createDirectories(work.resolve("app"));
      if (javac.run(null, null, null, "--release", "17", "-d", classes.toString(),
          src.resolve("Hello.java").toString()) != 0) {
        throw new IllegalStateException("javac failed on Hello.java");
      }
      List<Path> elves = new ArrayList<>();
      try (Stream<Path> files = Files.walk(jre)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          if (Files.isRegularFile(f) && ElfFile.isElf(f)) {
            elves.add(f.toAbsolutePath());
          }
        }
      }
      // The runtime's own files come from the /opt/java layer; the closure adds what they need
      // from the host (libc, libz, the dynamic loader, ...).
      ExecutableClosure closure = ExecutableClosure.of(elves);
      String jreHost = jre.toRealPath().toString();
      return Optional.of(Image.builder()
          .cacheDir(store)
          .layer(Layer.fromDirectory(jre, "/opt/java"))
          .layer(Layer.of("host libraries for /opt/java", b -> closure.entries().forEach((path, e) -> {
            if (path.equals(jreHost) || path.startsWith(jreHost + "/")) {
              return;
            }
            if (e instanceof ExecutableClosure.HostFile f) {
              b.addFile(f.source(), path);
            } else if (e instanceof ExecutableClosure.Symlink s) {
              b.addSymlink(path, s.target());
            }
          })))
          .layer(Layer.fromDirectory(classes, "/app"))
          .layer(Layer.of("passwd and mount points", b -> b.addDirectory("/proc").addDirectory("/dev")
              .addDirectory("/tmp").addFile("/etc/passwd", "app:x:1000:1000:app:/:/bin/false\n"
                  .getBytes(StandardCharsets.UTF_8))))
          .entrypoint("/opt/java/bin/java", "-Xmx64m", "-XX:+UseSerialGC", "-Xshare:auto")
          .cmd("-cp", "/app", "Hello")
          .env("PATH", "/opt/java/bin:/usr/bin:/bin")
          .user("app")
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void tool(ToolProvider tool, String... args) {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8);
    if (tool.run(p, p, args) != 0) {
      throw new IllegalStateException(tool.name() + " failed: " + log.toString(StandardCharsets.UTF_8));
    }
  }
}
