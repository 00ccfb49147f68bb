package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;
import java.util.Map;

/**
 * One entry of an image configuration's {@code history} (image-spec {@code config.md}).
 *
 * @param created when the step ran; null when unknown
 * @param createdBy the command that made the step, e.g. a Dockerfile line; null when absent
 * @param author who made the step; null when absent
 * @param comment a free-text comment; null when absent
 * @param emptyLayer true when the step made no layer (so it has no diff_id); written only when
 *     true
 * @param unknownFields fields this model does not know, kept on a round trip; never null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"created", "created_by", "author", "comment", "empty_layer"})
public record History(
    @JsonProperty("created") @JsonSerialize(using = Json.InstantSerializer.class)
        @JsonDeserialize(using = Json.InstantDeserializer.class) Instant created,
    @JsonProperty("created_by") String createdBy,
    @JsonProperty("author") String author,
    @JsonProperty("comment") String comment,
    @JsonProperty("empty_layer") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean emptyLayer,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /** Normalises {@code unknownFields}. */
  public History {
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /**
   * @param created when; null when unknown
   * @param createdBy what made the layer, e.g. {@code "boxkit: COPY app.jar /app/"}
   * @return a history entry for a step that made a layer
   */
  public static History of(Instant created, String createdBy) {
    return new History(created, createdBy, null, null, false, null);
  }

  /** @return this entry marked as making no layer */
  public History asEmptyLayer() {
    return new History(created, createdBy, author, comment, true, unknownFields);
  }
}
