package dev.boxkit.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.networknt.schema.InputFormat;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates JSON documents against the OCI image-spec JSON schemas kept in
 * {@code <projectRoot>/../shared/oci-image-spec-schemas/} (draft-04), offline: every
 * {@code https://opencontainers.org/schema/...} id and relative {@code $ref} resolves to the local
 * file of that name.
 *
 * <p>The project root comes from the system property {@code boxkit.projectRoot} (set by
 * surefire), else the working directory's parent chain is searched. Shared with other modules'
 * tests through sdk-oci's test-jar; a module using it also declares the test dependency
 * {@code com.networknt:json-schema-validator} (version managed by the root pom), since test-scoped
 * dependencies are not transitive.
 */
public final class OciSchemas {
  /** The schema documents, by what they describe. */
  public enum Kind {
    /** An image manifest. */
    MANIFEST("image-manifest-schema.json", "https://opencontainers.org/schema/image/manifest"),
    /** An image index (also an image layout's index.json). */
    INDEX("image-index-schema.json", "https://opencontainers.org/schema/image/index"),
    /** An image configuration. */
    CONFIG("config-schema.json", "https://opencontainers.org/schema/image/config"),
    /** A content descriptor. */
    DESCRIPTOR("content-descriptor.json", "https://opencontainers.org/schema/descriptor"),
    /** An image layout's {@code oci-layout} file. */
    LAYOUT("image-layout-schema.json", "https://opencontainers.org/schema/image/layout");

    final String file;
    final String id;

    Kind(String file, String id) {
      this.file = file;
      this.id = id;
    }
  }

  private static final String PREFIX = "https://opencontainers.org/schema/";

  private final Path dir;
  private final Map<Kind, JsonSchema> schemas = new EnumMap<>(Kind.class);

  private OciSchemas(Path dir) {
    this.dir = dir;
    // defs.json's "media" (binaryEncoding of base64 data) is an annotation, not an assertion.
    JsonMetaSchema draft4 = JsonMetaSchema.builder(JsonMetaSchema.getV4())
        .keyword(new NonValidationKeyword("media")).build();
    JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4,
        b -> b.metaSchema(draft4).schemaLoaders(l -> l.add(iri -> {
          String s = iri.toString();
          if (!s.startsWith(PREFIX)) {
            return null;
          }
          Path file = localFile(s);
          return file == null ? null : () -> Files.newInputStream(file);
        })));
    for (Kind k : Kind.values()) {
      schemas.put(k, factory.getSchema(SchemaLocation.of(k.id)));
    }
  }

  /**
   * @return validators over the schemas of this checkout, or skips the test (fails under
   *     {@code BOXKIT_REQUIRE_TOOLS=1}) when the schema folder is absent
   */
  public static OciSchemas load() {
    Path dir = findSchemaDir();
    ExternalTools.requireHost(dir != null,
        "OCI image-spec schemas not found: expected ../shared/oci-image-spec-schemas/ beside the "
            + "project root (system property boxkit.projectRoot)");
    return new OciSchemas(dir);
  }

  /** @return the problems found, empty when {@code json} is valid */
  public List<String> problems(Kind kind, byte[] json) {
    Set<ValidationMessage> msgs = schemas.get(kind)
        .validate(new String(json, StandardCharsets.UTF_8), InputFormat.JSON);
    return msgs.stream().map(ValidationMessage::getMessage).sorted().toList();
  }

  /** Fails the test, quoting the document and the problems, when {@code json} is invalid. */
  public void assertValid(Kind kind, byte[] json) {
    List<String> problems = problems(kind, json);
    if (!problems.isEmpty()) {
      fail(kind + " does not validate against " + kind.file + ": " + problems + "\n"
          + new String(json, StandardCharsets.UTF_8));
    }
  }

  /** Fails the test when the file is invalid. */
  public void assertValid(Kind kind, Path file) {
    try {
      assertValid(kind, Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // Draft-04 ids change the base of relative $refs (e.g. ".../schema/image/defs-descriptor.json"
  // and ".../schema/descriptor/defs-descriptor.json" both mean defs-descriptor.json), so the file
  // is the last path segment, or the schema whose id this is.
  private Path localFile(String iri) {
    String noFragment = iri.contains("#") ? iri.substring(0, iri.indexOf('#')) : iri;
    for (Kind k : Kind.values()) {
      if (k.id.equals(noFragment)) {
        return dir.resolve(k.file);
      }
    }
    String name = noFragment.substring(noFragment.lastIndexOf('/') + 1);
    Path p = dir.resolve(name);
    return name.endsWith(".json") && Files.isRegularFile(p) ? p : null;
  }

  private static Path findSchemaDir() {
    String root = System.getProperty("boxkit.projectRoot");
    Path start = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
    for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
      for (Path candidate : List.of(p.resolve("../shared/oci-image-spec-schemas"),
          p.resolve("shared/oci-image-spec-schemas"))) {
        if (Files.isRegularFile(candidate.resolve("image-manifest-schema.json"))) {
          return candidate.normalize();
        }
      }
    }
    return null;
  }
}
