package dev.boxkit.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.boxkit.junit5.BoxKitExtension;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Every {@code ```java} block of {@code docs/*.md} follows a {@code <!-- snippet: name -->} line
 * and equals, up to indentation and blank lines, the region {@code name} of the snippet sources
 * in this package, which the build compiles; some snippets are also run here.
 */
class DocsSnippetsTest {
  private static final Pattern TAG = Pattern.compile("//\\s*tag::([\\w-]+)\\[\\]");
  private static final Pattern BLOCK = Pattern.compile(
      "(?:<!--\\s*snippet:\\s*([\\w-]+)\\s*-->\\s*\\n)?```java\\n(.*?)```", Pattern.DOTALL);
  private static final List<String> EXPECTED_DOCS = List.of("getting-started.md", "building-images.md",
      "running-sandboxes.md", "security.md", "registry.md", "junit.md", "comparison.md", "performance.md",
      "troubleshooting.md", "architecture.md");

  static Path projectRoot() {
    String root = System.getProperty("boxkit.projectRoot");
    return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
  }

  /** @return region name to its lines, from the sources of this package */
  static Map<String, String> regions() throws IOException {
    Map<String, String> regions = new LinkedHashMap<>();
    Path dir = projectRoot().resolve("sdk-junit5/src/test/java/dev/boxkit/docs");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("Snippets")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = TAG.matcher(lines.get(i));
          if (m.find()) {
            String name = m.group(1);
            StringBuilder body = new StringBuilder();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).contains("end::" + name + "[]")) {
              body.append(lines.get(j++)).append('\n');
            }
            assertTrue(j < lines.size(), "no end::" + name + "[] in " + f);
            assertFalse(regions.containsKey(name), "region " + name + " is defined twice");
            regions.put(name, body.toString());
          }
        }
      }
    }
    return regions;
  }

  static String normalise(String code) {
    List<String> out = new ArrayList<>();
    for (String line : code.split("\n")) {
      if (!line.isBlank()) {
        out.add(line.strip().replaceAll("\\s+", " "));
      }
    }
    return String.join("\n", out);
  }

  /**
   * @param regions the compiled regions by name
   * @param markdown one document
   * @param used receives the names of the regions it shows
   * @return what is wrong with its java blocks, empty when nothing
   */
  static List<String> problems(Map<String, String> regions, String markdown, Set<String> used) {
    List<String> problems = new ArrayList<>();
    Matcher m = BLOCK.matcher(markdown);
    while (m.find()) {
      String name = m.group(1);
      String region = name == null ? null : regions.get(name);
      if (name == null) {
        problems.add("a ```java block without a <!-- snippet: name --> line before it:\n" + m.group(2));
      } else if (region == null) {
        problems.add("no region " + name + " in the snippet sources; have " + regions.keySet());
      } else if (!normalise(region).equals(normalise(m.group(2)))) {
        problems.add("snippet " + name + " differs from its compiled source:\n" + normalise(region)
            + "\n--- docs have ---\n" + normalise(m.group(2)));
      } else {
        used.add(name);
      }
    }
    return problems;
  }

  @Test
  void everyJavaBlockOfTheDocsIsACompiledSnippet() throws IOException {
    Map<String, String> regions = regions();
    Path docs = projectRoot().resolve("docs");
    for (String name : EXPECTED_DOCS) {
      assertTrue(Files.isRegularFile(docs.resolve(name)), "missing docs/" + name);
    }
    Set<String> used = new HashSet<>();
    List<String> problems = new ArrayList<>();
    int blocks = 0;
    try (Stream<Path> files = Files.list(docs)) {
      for (Path md : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        String text = Files.readString(md);
        blocks += (int) BLOCK.matcher(text).results().count();
        problems(regions, text, used).forEach(p -> problems.add(md.getFileName() + ": " + p));
      }
    }
    assertEquals(List.of(), problems);
    assertTrue(blocks >= 10, "only " + blocks + " java blocks in the docs");
    Set<String> unused = new HashSet<>(regions.keySet());
    unused.removeAll(used);
    assertEquals(Set.of(), unused, "snippet regions that no doc shows");
  }

  @Test
  void driftUnmarkedBlocksAndUnknownNamesAreCaught() {
    Map<String, String> regions = Map.of("a", "  int x = 1;\n\n  int y = x + 1;\n");
    Set<String> used = new HashSet<>();
    assertEquals(List.of(), problems(regions, "<!-- snippet: a -->\n```java\nint x = 1;\nint  y = x + 1;\n```\n", used));
    assertEquals(Set.of("a"), used);
    assertEquals(1, problems(regions, "<!-- snippet: a -->\n```java\nint x = 2;\nint y = x + 1;\n```\n", used).size());
    assertEquals(1, problems(regions, "```java\nint x = 1;\n```\n", used).size());
    assertEquals(1, problems(regions, "<!-- snippet: b -->\n```java\nint x = 1;\n```\n", used).size());
  }

  @Test
  void theGettingStartedSnippetsRun(@TempDir Path work) {
    ExecResult first = SnippetsGettingStarted.firstRun();
    assertEquals("hello from sandbox\n", first.stdoutText());
    ExecResult listing = SnippetsGettingStarted.imageAndSandbox(work);
    assertEquals(0, listing.exitCode(), listing.stderrText());
    assertTrue(listing.stdoutText().contains("proc\n"), listing.stdoutText());
    assertFalse(listing.stdoutText().contains("home"), listing.stdoutText());
    assertTrue(Files.isRegularFile(work.resolve("layout/index.json")));
    assertFalse(SnippetsGettingStarted.checkProvider().isEmpty());
  }

  @Test
  void thePublishedPortSnippetRuns(@TempDir Path work) throws Exception {
    ExternalTools.require("busybox", "busybox-static");
    assertEquals("hello through a published port\n", SnippetsSandboxes.publishedPort(work));
    assertEquals("hello from web\n", SnippetsSandboxes.sharedNetwork(work));
  }

  @Test
  void thePoolSnippetRuns() {
    SnippetsSandboxes.pool();
  }

  @Test
  void theStartSnippetRuns() throws Exception {
    SnippetsGettingStarted.start();
  }

  @Test
  void theJUnitSnippetsPass() {
    List<Class<?>> classes = new ArrayList<>(List.of(SnippetsJUnit.ShellTest.class, SnippetsJUnit.FactoryTest.class,
        SnippetsJUnit.IsolatedServiceTest.class));
    if (ExternalTools.find("busybox").isPresent() || ExternalTools.required()) {
      classes.add(SnippetsJUnit.WebTest.class);
      classes.add(SnippetsJUnit.ClassServiceTest.class);
    }
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(classes.stream().map(c -> selectClass(c)).toList())
        .configurationParameter(BoxKitExtension.CACHE_DIR_PARAMETER,
            Path.of("target", "boxkit-cache").toAbsolutePath().toString())
        .build(), listener);
    TestExecutionSummary s = listener.getSummary();
    StringBuilder failures = new StringBuilder();
    s.getFailures().forEach(f -> failures.append(f.getTestIdentifier().getDisplayName()).append(": ")
        .append(f.getException()).append('\n'));
    assertEquals(0, s.getTotalFailureCount(), failures.toString());
    assertEquals(classes.size() == 5 ? 6 : 4, s.getTestsSucceededCount());
  }
}
