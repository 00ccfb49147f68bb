package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The execution parameters of an image configuration, its {@code config} object (image-spec
 * {@code config.md}, "Properties"), plus Docker's {@code Healthcheck}.
 *
 * @param user user[:group] to run as, by name or id; null when unset (root)
 * @param exposedPorts ports to expose, e.g. {@code 8080/tcp}; never null, a sorted set
 * @param env environment entries {@code NAME=value}, in order; never null
 * @param entrypoint argv prefix; null when unset (an empty list clears a base image's)
 * @param cmd default arguments; null when unset (an empty list clears a base image's)
 * @param volumes paths meant to be volumes; never null, a sorted set
 * @param workingDir absolute working directory; null when unset
 * @param labels metadata; never null, sorted by key
 * @param stopSignal signal that stops the container, e.g. {@code SIGTERM}; null when unset
 * @param argsEscaped Windows-only Docker flag; null when unset
 * @param healthcheck Docker health check; null when unset
 * @param unknownFields fields this model does not know (e.g. {@code Shell}, {@code OnBuild});
 *     never null, kept on a round trip
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
    "Labels", "StopSignal", "ArgsEscaped", "Healthcheck"})
public record ContainerConfig(
    @JsonProperty("User") String user,
    @JsonProperty("ExposedPorts") @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @JsonSerialize(using = Json.KeySetSerializer.class)
        @JsonDeserialize(using = Json.KeySetDeserializer.class) Set<String> exposedPorts,
    @JsonProperty("Env") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> env,
    @JsonProperty("Entrypoint") List<String> entrypoint,
    @JsonProperty("Cmd") List<String> cmd,
    @JsonProperty("Volumes") @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @JsonSerialize(using = Json.KeySetSerializer.class)
        @JsonDeserialize(using = Json.KeySetDeserializer.class) Set<String> volumes,
    @JsonProperty("WorkingDir") String workingDir,
    @JsonProperty("Labels") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> labels,
    @JsonProperty("StopSignal") String stopSignal,
    @JsonProperty("ArgsEscaped") Boolean argsEscaped,
    @JsonProperty("Healthcheck") Healthcheck healthcheck,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /** No parameters set. */
  public static final ContainerConfig EMPTY =
      new ContainerConfig(null, null, null, null, null, null, null, null, null, null, null, null);

  private static final Pattern ENV_NAME = Pattern.compile("[^=\\x00]+");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}(-[0-9]{1,5})?(/(tcp|udp|sctp))?");

  /** Copies collections; nulls become empty except {@code entrypoint} and {@code cmd}. */
  public ContainerConfig {
    exposedPorts = sortedSet(exposedPorts);
    env = env == null ? List.of() : List.copyOf(env);
    entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
    cmd = cmd == null ? null : List.copyOf(cmd);
    volumes = sortedSet(volumes);
    labels = Descriptor.sortedCopy(labels);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /**
   * @return {@link #env()} as a map in order, the last entry of a name winning; an entry without
   *     {@code =} is a variable with an empty value
   */
  public java.util.Map<String, String> envMap() {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String e : env) {
      int eq = e.indexOf('=');
      out.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
    }
    return out;
  }

  /** @return the value of environment variable {@code name}, or null when unset */
  public String envValue(String name) {
    for (String e : env) {
      int eq = e.indexOf('=');
      if ((eq < 0 ? e : e.substring(0, eq)).equals(name)) {
        return eq < 0 ? "" : e.substring(eq + 1);
      }
    }
    return null;
  }

  /**
   * @return this config with {@code NAME=value} replacing an entry of the same name in place, or
   *     appended
   * @throws InvalidInputException (field {@code Env}) when the name is empty or has '=' or NUL
   */
  public ContainerConfig withEnv(String name, String value) {
    if (name == null || !ENV_NAME.matcher(name).matches()) {
      throw new InvalidInputException("Env", name, "variable name must be non-empty, without '='");
    }
    Objects.requireNonNull(value, "value");
    List<String> e = new ArrayList<>(env);
    String entry = name + "=" + value;
    boolean replaced = false;
    for (int i = 0; i < e.size(); i++) {
      String cur = e.get(i);
      int eq = cur.indexOf('=');
      if ((eq < 0 ? cur : cur.substring(0, eq)).equals(name)) {
        e.set(i, entry);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      e.add(entry);
    }
    return withEnv(e);
  }

  /** @return this config with {@code env} ({@code NAME=value} entries) replacing its environment */
  public ContainerConfig withEnv(List<String> env) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with {@code entrypoint} (null to unset) */
  public ContainerConfig withEntrypoint(List<String> entrypoint) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with {@code cmd} (null to unset) */
  public ContainerConfig withCmd(List<String> cmd) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with {@code user} (null to unset) */
  public ContainerConfig withUser(String user) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /**
   * @return this config with {@code workingDir} (null to unset)
   * @throws InvalidInputException (field {@code WorkingDir}) when not absolute
   */
  public ContainerConfig withWorkingDir(String workingDir) {
    if (workingDir != null && !workingDir.startsWith("/")) {
      throw new InvalidInputException("WorkingDir", workingDir, "must be an absolute path");
    }
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with label {@code key} set to {@code value} */
  public ContainerConfig withLabel(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> l = new TreeMap<>(labels);
    l.put(key, value);
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        l, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /**
   * @param port {@code port[/tcp|/udp|/sctp]}, e.g. {@code 8080} (meaning {@code 8080/tcp})
   * @return this config exposing {@code port}
   * @throws InvalidInputException (field {@code ExposedPorts}) when malformed
   */
  public ContainerConfig withExposedPort(String port) {
    if (port == null || !PORT.matcher(port).matches()) {
      throw new InvalidInputException("ExposedPorts", port, "expected port[/tcp|/udp|/sctp]");
    }
    SortedSet<String> p = new TreeSet<>(exposedPorts);
    p.add(port.contains("/") ? port : port + "/tcp");
    return new ContainerConfig(user, p, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /**
   * @return this config with {@code path} as a volume
   * @throws InvalidInputException (field {@code Volumes}) when not absolute
   */
  public ContainerConfig withVolume(String path) {
    if (path == null || !path.startsWith("/")) {
      throw new InvalidInputException("Volumes", path, "must be an absolute path");
    }
    SortedSet<String> v = new TreeSet<>(volumes);
    v.add(path);
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, v, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with {@code stopSignal} (null to unset) */
  public ContainerConfig withStopSignal(String stopSignal) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  /** @return this config with {@code healthcheck} (null to unset) */
  public ContainerConfig withHealthcheck(Healthcheck healthcheck) {
    return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
        labels, stopSignal, argsEscaped, healthcheck, unknownFields);
  }

  private static SortedSet<String> sortedSet(java.util.Collection<String> s) {
    return s == null || s.isEmpty() ? Collections.emptySortedSet()
        : Collections.unmodifiableSortedSet(new TreeSet<>(s));
  }
}
