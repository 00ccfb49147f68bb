package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * An image configuration (image-spec {@code config.md}): platform, execution parameters, the
 * layers' diffIDs and the build history. Docker's container image configuration has the same
 * shape; its extra fields ({@code container}, {@code docker_version}, ...) are kept in
 * {@link #unknownFields()}.
 *
 * @param created when the image was created; null when unknown (reproducible builds leave it
 *     fixed or null rather than the wall clock)
 * @param author who made the image; null when absent
 * @param architecture CPU architecture ({@code GOARCH}); required
 * @param os operating system ({@code GOOS}); required
 * @param osVersion OS version; null when absent
 * @param osFeatures OS features; never null, may be empty
 * @param variant CPU variant, e.g. {@code v8}; null when absent
 * @param config execution parameters; never null (possibly {@link ContainerConfig#EMPTY})
 * @param rootfs the layers' diffIDs; never null
 * @param history build steps, one per layer plus the {@code empty_layer} ones; never null
 * @param unknownFields fields this model does not know, kept on a round trip; never null
 */
@JsonPropertyOrder({"created", "author", "architecture", "os", "os.version", "os.features",
    "variant", "config", "rootfs", "history"})
public record ImageConfig(
    @JsonProperty("created") @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonSerialize(using = Json.InstantSerializer.class)
        @JsonDeserialize(using = Json.InstantDeserializer.class) Instant created,
    @JsonProperty("author") @JsonInclude(JsonInclude.Include.NON_NULL) String author,
    @JsonProperty("architecture") String architecture,
    @JsonProperty("os") String os,
    @JsonProperty("os.version") @JsonInclude(JsonInclude.Include.NON_NULL) String osVersion,
    @JsonProperty("os.features") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> osFeatures,
    @JsonProperty("variant") @JsonInclude(JsonInclude.Include.NON_NULL) String variant,
    @JsonProperty("config") ContainerConfig config,
    @JsonProperty("rootfs") RootFs rootfs,
    @JsonProperty("history") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<History> history,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /**
   * @throws InvalidInputException naming {@code config.architecture} or {@code config.os} when
   *     missing
   */
  public ImageConfig {
    if (architecture == null || architecture.isEmpty()) {
      throw new InvalidInputException("config.architecture", architecture, "is required");
    }
    if (os == null || os.isEmpty()) {
      throw new InvalidInputException("config.os", os, "is required");
    }
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    config = config == null ? ContainerConfig.EMPTY : config;
    rootfs = rootfs == null ? RootFs.of(List.of()) : rootfs;
    history = history == null ? List.of() : List.copyOf(history);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /** @return an empty configuration (no layers, no created time) for {@code platform} */
  public static ImageConfig of(Platform platform) {
    Objects.requireNonNull(platform, "platform");
    return new ImageConfig(null, null, platform.architecture(), platform.os(),
        platform.osVersion(), platform.osFeatures(), platform.variant(), null, null, null, null);
  }

  /** @return the platform this configuration declares */
  public Platform platform() {
    return new Platform(os, architecture, variant, osVersion, osFeatures, null);
  }

  /** @return the diffIDs, base layer first (shorthand for {@code rootfs().diffIds()}) */
  public List<Digest> diffIds() {
    return rootfs.diffIds();
  }

  /** @return this configuration for {@code platform} */
  public ImageConfig withPlatform(Platform platform) {
    return new ImageConfig(created, author, platform.architecture(), platform.os(),
        platform.osVersion(), platform.osFeatures(), platform.variant(), config, rootfs, history,
        unknownFields);
  }

  /** @return this configuration created at {@code created} (null for unknown) */
  public ImageConfig withCreated(Instant created) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, history, unknownFields);
  }

  /** @return this configuration with {@code author} (null for none) */
  public ImageConfig withAuthor(String author) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, history, unknownFields);
  }

  /** @return this configuration with {@code config} as its execution parameters */
  public ImageConfig withConfig(ContainerConfig config) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, history, unknownFields);
  }

  /** @return this configuration with its execution parameters changed by {@code change} */
  public ImageConfig withConfig(UnaryOperator<ContainerConfig> change) {
    return withConfig(change.apply(config));
  }

  /** @return this configuration with {@code NAME=value} set (see {@link ContainerConfig#withEnv(String, String)}) */
  public ImageConfig withEnv(String name, String value) {
    return withConfig(config.withEnv(name, value));
  }

  /** @return this configuration with {@code entrypoint} (null to unset) */
  public ImageConfig withEntrypoint(List<String> entrypoint) {
    return withConfig(config.withEntrypoint(entrypoint));
  }

  /** @return this configuration with {@code cmd} (null to unset) */
  public ImageConfig withCmd(List<String> cmd) {
    return withConfig(config.withCmd(cmd));
  }

  /** @return this configuration with {@code workingDir} (absolute; null to unset) */
  public ImageConfig withWorkingDir(String workingDir) {
    return withConfig(config.withWorkingDir(workingDir));
  }

  /** @return this configuration with {@code user} (null to unset) */
  public ImageConfig withUser(String user) {
    return withConfig(config.withUser(user));
  }

  /** @return this configuration with label {@code key=value} */
  public ImageConfig withLabel(String key, String value) {
    return withConfig(config.withLabel(key, value));
  }

  /** @return this configuration exposing {@code port} ({@code port[/proto]}) */
  public ImageConfig withExposedPort(String port) {
    return withConfig(config.withExposedPort(port));
  }

  /**
   * Adds a layer on top: appends its diffID to {@code rootfs.diff_ids} and {@code history}.
   *
   * @param diffId digest of the layer's uncompressed tar
   * @param history the step that made it; must not be an {@code empty_layer} entry
   * @return the new configuration
   * @throws InvalidInputException (field {@code history}) when {@code history} is marked empty
   */
  public ImageConfig withLayerAppended(Digest diffId, History history) {
    Objects.requireNonNull(history, "history");
    if (history.emptyLayer()) {
      throw new InvalidInputException("history", history.createdBy(),
          "a layer's history entry must not be empty_layer");
    }
    List<History> h = new ArrayList<>(this.history);
    h.add(history);
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs.withDiffIdAppended(diffId), h, unknownFields);
  }

  /** @return this configuration with {@code history} appended (e.g. an {@code empty_layer} step) */
  public ImageConfig withHistoryAppended(History history) {
    Objects.requireNonNull(history, "history");
    List<History> h = new ArrayList<>(this.history);
    h.add(history);
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, h, unknownFields);
  }
}
