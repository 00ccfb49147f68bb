package dev.boxkit.oci.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.PackageVersion;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.Version;
import dev.boxkit.oci.IncompatibleDependencyException;
import dev.boxkit.oci.MalformedContentException;
import dev.boxkit.oci.OciException;
import java.io.IOException;
import java.util.Optional;

/**
 * Reads and writes OCI JSON documents (manifests, indexes, configs, descriptors, {@code
 * oci-layout}) and the model types of {@code dev.boxkit.oci}.
 *
 * <p>Output is compact UTF-8 JSON with fields in the spec's order, map keys sorted and absent
 * optional fields left out, so the same value always gives the same bytes and digest. Input is
 * read strictly: duplicate keys and trailing content are errors (two readers must not see two
 * different documents), unknown fields are kept where the model has {@code unknownFields}.
 *
 * <p>Thread-safe; all methods are static. Every method throws {@link
 * IncompatibleDependencyException} when the jackson-databind on the class path is older than
 * {@value #JACKSON_MINIMUM} (BoxKit's model relies on how 2.18 maps records).
 */
public final class OciJson {
  private OciJson() {}

  /** The oldest jackson-databind BoxKit works with. */
  static final String JACKSON_MINIMUM = "2.18";

  /** Created on first use, after the version check: an older Jackson may fail to build it. */
  private static final class Holder {
    // Immutable after construction and thread-safe: Jackson's documented use.
    static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .disable(SerializationFeature.INDENT_OUTPUT)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        // Absent optional fields are left out; nulls inside unknown fields are content and stay.
        .defaultPropertyInclusion(
            JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.ALWAYS))
        .build();
  }

  /**
   * @param databind the version of jackson-databind found
   * @return the exception to throw when it is older than {@value #JACKSON_MINIMUM} (or not 2.x)
   */
  static Optional<IncompatibleDependencyException> checkJackson(Version databind) {
    if (databind.getMajorVersion() == 2 && databind.getMinorVersion() >= 18) {
      return Optional.empty();
    }
    return Optional.of(new IncompatibleDependencyException(
        "com.fasterxml.jackson.core:jackson-databind", databind.toString(), JACKSON_MINIMUM,
        "it maps records whose unknown JSON fields are kept with @JsonAnySetter, which older"
            + " versions ignore on records"));
  }

  private static ObjectMapper mapper() {
    Optional<IncompatibleDependencyException> tooOld = checkJackson(PackageVersion.VERSION);
    if (tooOld.isPresent()) {
      throw tooOld.get();
    }
    return Holder.MAPPER;
  }

  /**
   * The one JSON reader of BoxKit, configured as {@link #read} reads (duplicate keys and
   * trailing content are errors), for documents read as trees or as other types. Immutable and
   * thread-safe.
   *
   * @return a reader; {@code forType(...)} derives typed ones
   */
  public static ObjectReader reader() {
    return mapper().reader();
  }

  /**
   * The one JSON writer of BoxKit, configured as {@link #write} writes (compact, map keys
   * sorted). Immutable and thread-safe.
   */
  public static ObjectWriter writer() {
    return mapper().writer();
  }

  /**
   * @param value a JSON-mappable value (a map, a list, a record)
   * @return it as a tree
   * @throws IllegalArgumentException when it cannot be mapped
   */
  public static JsonNode tree(Object value) {
    return mapper().valueToTree(value);
  }

  /**
   * Writes {@code value} as compact, deterministic JSON.
   *
   * @param value a model value (record of {@code dev.boxkit.oci}), map, list or scalar
   * @return UTF-8 JSON bytes
   * @throws OciException if the value cannot be written (not a JSON-mappable type)
   */
  public static byte[] write(Object value) {
    try {
      return mapper().writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new OciException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads a JSON document as {@code type}.
   *
   * @param json UTF-8 JSON
   * @param type the model type, e.g. {@code ImageManifest.class}
   * @param what names the document in errors, e.g. {@code "manifest sha256:ab12..."}
   * @return the value
   * @throws MalformedContentException naming {@code what} when the JSON is malformed, has
   *     duplicate keys or trailing content, lacks a required field, or a field is invalid (wrong
   *     {@code schemaVersion} or {@code mediaType}, bad digest, ...); its cause is the
   *     {@link dev.boxkit.oci.InvalidInputException} naming the field, when there is one
   */
  public static <T> T read(byte[] json, Class<T> type, String what) {
    if (json == null) {
      throw new MalformedContentException(what, "no content", null);
    }
    try {
      T value = mapper().readValue(json, type);
      if (value == null) {
        throw new MalformedContentException(what, "is JSON null", null);
      }
      return value;
    } catch (JsonProcessingException e) {
      OciException cause = ociCause(e);
      if (cause != null) {
        throw new MalformedContentException(what, cause.getMessage(), cause);
      }
      throw new MalformedContentException(what, e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at " + e.getLocation().offsetDescription()), e);
    } catch (IOException e) {
      throw new MalformedContentException(what, e.getMessage(), e);
    } catch (OciException e) {
      if (e instanceof MalformedContentException) {
        throw e;
      }
      throw new MalformedContentException(what, e.getMessage(), e);
    }
  }

  private static OciException ociCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof OciException o) {
        return o;
      }
    }
    return null;
  }

}
