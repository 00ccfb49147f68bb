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

/**
 * The {@code rootfs} of an image configuration (image-spec {@code config.md}): the diffIDs
 * (digests of the uncompressed layer tars), base layer first.
 *
 * @param type always {@code "layers"}
 * @param diffIds digests of the uncompressed layers, in manifest order; never null
 * @param unknownFields fields this model does not know, kept on a round trip; never null
 */
@JsonPropertyOrder({"type", "diff_ids"})
public record RootFs(
    @JsonProperty("type") String type,
    @JsonProperty("diff_ids") @JsonInclude(JsonInclude.Include.ALWAYS) List<Digest> diffIds,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {
  /** The only rootfs type the spec defines. */
  public static final String LAYERS = "layers";

  /** @throws InvalidInputException naming {@code rootfs.type} when it is not {@code layers} */
  public RootFs {
    if (!LAYERS.equals(type)) {
      throw new InvalidInputException("rootfs.type", type, "must be \"layers\"");
    }
    diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /** @return a rootfs of {@code diffIds} */
  public static RootFs of(List<Digest> diffIds) {
    return new RootFs(LAYERS, diffIds, null);
  }

  /** @return this rootfs with {@code diffId} appended on top */
  public RootFs withDiffIdAppended(Digest diffId) {
    Objects.requireNonNull(diffId, "diffId");
    List<Digest> d = new ArrayList<>(diffIds);
    d.add(diffId);
    return new RootFs(type, d, unknownFields);
  }
}
