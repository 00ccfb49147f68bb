package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A content descriptor (image-spec {@code descriptor.md}): what a blob is, its digest and its size.
 *
 * @param mediaType media type of the referenced content (RFC 6838 {@code type/subtype}); required
 * @param digest digest of the referenced content; required
 * @param size size of the referenced content in bytes, {@code >= 0}
 * @param urls URLs the content may also be fetched from; never null, may be empty
 * @param annotations arbitrary metadata (image-spec {@code annotations.md}); never null, may be
 *     empty; sorted by key
 * @param platform platform of the referenced manifest (in an index only); null when absent
 * @param artifactType IANA media type of the artifact, when this describes an artifact manifest;
 *     null when absent
 * @param unknownFields fields this model does not know (e.g. {@code data}), kept so that content
 *     read and written again loses nothing; never null, sorted by key
 */
@JsonPropertyOrder({"mediaType", "digest", "size", "urls", "annotations", "platform", "artifactType"})
public record Descriptor(
    @JsonProperty(value = "mediaType", required = true) String mediaType,
    @JsonProperty(value = "digest", required = true) Digest digest,
    @JsonProperty(value = "size", required = true) long size,
    @JsonProperty("urls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> urls,
    @JsonProperty("annotations") @JsonInclude(JsonInclude.Include.NON_EMPTY)
        Map<String, String> annotations,
    @JsonProperty("platform") @JsonInclude(JsonInclude.Include.NON_NULL) Platform platform,
    @JsonProperty("artifactType") @JsonInclude(JsonInclude.Include.NON_NULL) String artifactType,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  // image-spec descriptor.md "mediaType" (RFC 6838 section 4.2), as in defs-descriptor.json.
  static final Pattern MEDIA_TYPE = Pattern.compile(
      "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

  /**
   * @throws InvalidInputException naming {@code descriptor.mediaType}, {@code descriptor.digest}
   *     or {@code descriptor.size} when that is missing or malformed
   */
  public Descriptor {
    checkMediaType("descriptor.mediaType", mediaType, true);
    if (digest == null) {
      throw new InvalidInputException("descriptor.digest", null, "is required");
    }
    if (size < 0) {
      throw new InvalidInputException("descriptor.size", Long.toString(size), "must be >= 0");
    }
    checkMediaType("descriptor.artifactType", artifactType, false);
    urls = urls == null ? List.of() : List.copyOf(urls);
    annotations = sortedCopy(annotations);
    unknownFields = sortedCopy(unknownFields);
  }

  /**
   * @param mediaType media type of the content
   * @param digest its digest
   * @param sizeBytes its size in bytes
   * @return a descriptor with no urls, annotations, platform or artifact type
   */
  public static Descriptor of(String mediaType, Digest digest, long sizeBytes) {
    return new Descriptor(mediaType, digest, sizeBytes, null, null, null, null, null);
  }

  /** @return the descriptor of {@code content} (sha256) with media type {@code mediaType} */
  public static Descriptor of(String mediaType, byte[] content) {
    return of(mediaType, Digest.sha256(content), content.length);
  }

  /** @return this descriptor with annotation {@code key} set to {@code value} (replacing one) */
  public Descriptor withAnnotation(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> a = new TreeMap<>(annotations);
    a.put(key, value);
    return new Descriptor(mediaType, digest, size, urls, a, platform, artifactType, unknownFields);
  }

  /** @return this descriptor without annotation {@code key} */
  public Descriptor withoutAnnotation(String key) {
    Map<String, String> a = new TreeMap<>(annotations);
    a.remove(key);
    return new Descriptor(mediaType, digest, size, urls, a, platform, artifactType, unknownFields);
  }

  /** @return this descriptor with {@code annotations} replacing all of its annotations */
  public Descriptor withAnnotations(Map<String, String> annotations) {
    return new Descriptor(mediaType, digest, size, urls, annotations, platform, artifactType,
        unknownFields);
  }

  /** @return this descriptor with {@code platform} (null for none) */
  public Descriptor withPlatform(Platform platform) {
    return new Descriptor(mediaType, digest, size, urls, annotations, platform, artifactType,
        unknownFields);
  }

  /** @return this descriptor with {@code mediaType} */
  public Descriptor withMediaType(String mediaType) {
    return new Descriptor(mediaType, digest, size, urls, annotations, platform, artifactType,
        unknownFields);
  }

  /** @return the annotation's value, or null when absent */
  public String annotation(String key) {
    return annotations.get(key);
  }

  static void checkMediaType(String field, String mediaType, boolean required) {
    if (mediaType == null) {
      if (required) {
        throw new InvalidInputException(field, null, "is required");
      }
      return;
    }
    if (!MEDIA_TYPE.matcher(mediaType).matches()) {
      throw new InvalidInputException(field, mediaType, "not an RFC 6838 media type");
    }
  }

  static <V> Map<String, V> sortedCopy(Map<String, V> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    TreeMap<String, V> copy = new TreeMap<>();
    for (Map.Entry<String, V> e : map.entrySet()) {
      copy.put(Objects.requireNonNull(e.getKey(), "map key"), e.getValue());
    }
    return java.util.Collections.unmodifiableSortedMap(copy);
  }
}
