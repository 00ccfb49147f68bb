package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * This project is what the docs tell a user to write: the README's tour is {@link Tour}'s region,
 * and every Maven block of the getting-started and JUnit pages is in this pom, line for line.
 */
class DocsAsWrittenTest {
  static final Path ROOT = Path.of(System.getProperty("boxkit.projectRoot", "../.."));

  static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (!l.isBlank()) {
        out.add(l.strip().replaceAll("\\s+", " "));
      }
    }
    return out;
  }

  @Test
  void theReadmeTourIsTheCodeThatRuns() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher m = Pattern.compile("## A tour of the API\n\n```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "no tour in README.md");
    String source = Files.readString(Path.of("src/main/java/com/example/Tour.java"));
    String region = source.substring(source.indexOf("tag::readme-tour[]") + "tag::readme-tour[]".length(),
        source.indexOf("// end::readme-tour[]"));
    assertEquals(lines(m.group(1)), lines(region));
  }

  @Test
  void theDocsDependencyBlocksAreThisPom() throws Exception {
    List<String> pom = lines(Files.readString(Path.of("pom.xml")));
    int blocks = 0;
    for (String doc : List.of("docs/getting-started.md", "docs/junit.md")) {
      Matcher m = Pattern.compile("```xml\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(ROOT.resolve(doc)));
      while (m.find()) {
        blocks++;
        List<String> block = lines(m.group(1));
        int at = 0; // the block's lines appear in the pom in order
        for (String line : block) {
          while (at < pom.size() && !pom.get(at).equals(line)) {
            at++;
          }
          assertTrue(at < pom.size(), doc + ": line not in this pom (in order): " + line + "\nblock:\n" + m.group(1));
          at++;
        }
      }
    }
    assertTrue(blocks >= 3, "only " + blocks + " Maven blocks in the docs");
  }

  @Test
  void theJUnitOnTheClassPathIsTheUsersNotBoxKits() {
    String wanted = System.getProperty("junit.version");
    assertFalse(wanted == null || wanted.isEmpty(), "junit.version not passed");
    assertEquals(wanted, Test.class.getPackage().getImplementationVersion());
    assertEquals(wanted, org.junit.jupiter.engine.JupiterTestEngine.class.getPackage().getImplementationVersion());
  }
}
