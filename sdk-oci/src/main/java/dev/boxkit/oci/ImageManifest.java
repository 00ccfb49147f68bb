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
import java.util.TreeMap;

/**
 * An image manifest (image-spec {@code manifest.md}), or a Docker v2 schema 2 manifest, which has
 * the same shape: a config descriptor and the ordered layer descriptors, base layer first.
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaType#OCI_MANIFEST}, {@link MediaType#DOCKER_MANIFEST}, or null
 *     when the document omits it
 * @param artifactType media type of an artifact; null for images
 * @param config descriptor of the configuration blob; required
 * @param layers layer descriptors, base layer first; never null
 * @param subject descriptor of the manifest this one refers to (referrers API); null when absent
 * @param annotations arbitrary metadata; never null, sorted by key
 * @param unknownFields fields this model does not know, kept on a read/write round trip; never
 *     null, sorted by key
 */
@JsonPropertyOrder({"schemaVersion", "mediaType", "artifactType", "config", "layers", "subject",
    "annotations"})
public record ImageManifest(
    @JsonProperty("schemaVersion") int schemaVersion,
    @JsonProperty("mediaType") @JsonInclude(JsonInclude.Include.NON_NULL) String mediaType,
    @JsonProperty("artifactType") @JsonInclude(JsonInclude.Include.NON_NULL) String artifactType,
    @JsonProperty("config") Descriptor config,
    @JsonProperty("layers") @JsonInclude(JsonInclude.Include.ALWAYS) List<Descriptor> layers,
    @JsonProperty("subject") @JsonInclude(JsonInclude.Include.NON_NULL) Descriptor subject,
    @JsonProperty("annotations") @JsonInclude(JsonInclude.Include.NON_EMPTY)
        Map<String, String> annotations,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /**
   * @throws InvalidInputException naming {@code manifest.schemaVersion},
   *     {@code manifest.mediaType} or {@code manifest.config} when wrong or missing
   */
  public ImageManifest {
    if (schemaVersion != 2) {
      throw new InvalidInputException("manifest.schemaVersion", Integer.toString(schemaVersion),
          "must be 2");
    }
    if (mediaType != null && !MediaType.isManifest(mediaType)) {
      throw new InvalidInputException("manifest.mediaType", mediaType,
          "not an image manifest media type (" + MediaType.OCI_MANIFEST + ")");
    }
    Descriptor.checkMediaType("manifest.artifactType", artifactType, false);
    if (config == null) {
      throw new InvalidInputException("manifest.config", null, "is required");
    }
    layers = layers == null ? List.of() : List.copyOf(layers);
    annotations = Descriptor.sortedCopy(annotations);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /**
   * @param config descriptor of the config blob
   * @param layers layer descriptors, base layer first
   * @return an OCI image manifest
   */
  public static ImageManifest of(Descriptor config, List<Descriptor> layers) {
    return new ImageManifest(2, MediaType.OCI_MANIFEST, null, config, layers, null, null, null);
  }

  /** @return this manifest with {@code config} as its config descriptor */
  public ImageManifest withConfig(Descriptor config) {
    return new ImageManifest(schemaVersion, mediaType, artifactType, config, layers, subject,
        annotations, unknownFields);
  }

  /** @return this manifest with {@code layers}, base layer first */
  public ImageManifest withLayers(List<Descriptor> layers) {
    return new ImageManifest(schemaVersion, mediaType, artifactType, config, layers, subject,
        annotations, unknownFields);
  }

  /** @return this manifest with {@code layer} added on top of its layers */
  public ImageManifest withLayerAppended(Descriptor layer) {
    Objects.requireNonNull(layer, "layer");
    List<Descriptor> l = new ArrayList<>(layers);
    l.add(layer);
    return withLayers(l);
  }

  /** @return this manifest with annotation {@code key} set to {@code value} */
  public ImageManifest withAnnotation(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> a = new TreeMap<>(annotations);
    a.put(key, value);
    return new ImageManifest(schemaVersion, mediaType, artifactType, config, layers, subject, a,
        unknownFields);
  }

  /** @return this manifest with {@code mediaType} (OCI or Docker manifest type) */
  public ImageManifest withMediaType(String mediaType) {
    return new ImageManifest(schemaVersion, mediaType, artifactType, config, layers, subject,
        annotations, unknownFields);
  }
}
