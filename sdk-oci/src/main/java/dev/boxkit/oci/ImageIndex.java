package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An image index (image-spec {@code image-index.md}), or a Docker manifest list: descriptors of
 * manifests, usually one per platform. Also the shape of an image layout's {@code index.json}.
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaType#OCI_INDEX}, {@link MediaType#DOCKER_MANIFEST_LIST}, or null
 *     when the document omits it
 * @param artifactType media type of an artifact; null when absent
 * @param manifests descriptors of manifests (or nested indexes); never null
 * @param subject descriptor of the manifest this one refers to; null when absent
 * @param annotations arbitrary metadata; never null, sorted by key
 * @param unknownFields fields this model does not know, kept on a round trip; never null
 */
@JsonPropertyOrder({"schemaVersion", "mediaType", "artifactType", "manifests", "subject",
    "annotations"})
public record ImageIndex(
    @JsonProperty("schemaVersion") int schemaVersion,
    @JsonProperty("mediaType") @JsonInclude(JsonInclude.Include.NON_NULL) String mediaType,
    @JsonProperty("artifactType") @JsonInclude(JsonInclude.Include.NON_NULL) String artifactType,
    @JsonProperty("manifests") @JsonInclude(JsonInclude.Include.ALWAYS) List<Descriptor> manifests,
    @JsonProperty("subject") @JsonInclude(JsonInclude.Include.NON_NULL) Descriptor subject,
    @JsonProperty("annotations") @JsonInclude(JsonInclude.Include.NON_EMPTY)
        Map<String, String> annotations,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /**
   * @throws InvalidInputException naming {@code index.schemaVersion} or {@code index.mediaType}
   *     when wrong
   */
  public ImageIndex {
    if (schemaVersion != 2) {
      throw new InvalidInputException("index.schemaVersion", Integer.toString(schemaVersion),
          "must be 2");
    }
    if (mediaType != null && !MediaType.isIndex(mediaType)) {
      throw new InvalidInputException("index.mediaType", mediaType,
          "not an image index media type (" + MediaType.OCI_INDEX + ")");
    }
    Descriptor.checkMediaType("index.artifactType", artifactType, false);
    manifests = manifests == null ? List.of() : List.copyOf(manifests);
    annotations = Descriptor.sortedCopy(annotations);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /** @return an OCI image index of {@code manifests} */
  public static ImageIndex of(List<Descriptor> manifests) {
    return new ImageIndex(2, MediaType.OCI_INDEX, null, manifests, null, null, null);
  }

  /** @return this index with {@code manifests} replacing its entries */
  public ImageIndex withManifests(List<Descriptor> manifests) {
    return new ImageIndex(schemaVersion, mediaType, artifactType, manifests, subject, annotations,
        unknownFields);
  }

  /** @return this index with {@code manifest} appended to its entries */
  public ImageIndex withManifestAppended(Descriptor manifest) {
    Objects.requireNonNull(manifest, "manifest");
    List<Descriptor> m = new ArrayList<>(manifests);
    m.add(manifest);
    return withManifests(m);
  }

  /** @return this index with annotation {@code key} set to {@code value} */
  public ImageIndex withAnnotation(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> a = new TreeMap<>(annotations);
    a.put(key, value);
    return new ImageIndex(schemaVersion, mediaType, artifactType, manifests, subject, a,
        unknownFields);
  }

  /**
   * @return the first image manifest entry whose platform {@link Platform#matches matches}
   *     {@code wanted}; empty when none does
   */
  public Optional<Descriptor> manifestFor(Platform wanted) {
    Objects.requireNonNull(wanted, "wanted");
    return manifests.stream()
        .filter(d -> MediaType.isManifest(d.mediaType()))
        .filter(d -> d.platform() != null && d.platform().matches(wanted))
        .findFirst();
  }
}
