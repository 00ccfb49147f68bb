package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The platform an image runs on, as in image-spec {@code image-index.md} ("platform") and
 * {@code config.md}. Architecture names are normalised to Go's {@code GOARCH} values
 * ({@code x86_64} → {@code amd64}, {@code aarch64} → {@code arm64}), as containerd's platforms
 * package does, so that a host's {@code uname -m} name matches an index entry.
 *
 * @param os operating system ({@code GOOS} value, e.g. {@code linux}); required
 * @param architecture CPU architecture ({@code GOARCH} value, e.g. {@code arm64}); required
 * @param variant CPU variant, e.g. {@code v8} or {@code v7}; null when none
 * @param osVersion OS version (Windows images); null when none
 * @param osFeatures required OS features (Windows images); never null, may be empty
 * @param unknownFields fields this model does not know (e.g. the deprecated {@code features}),
 *     kept on a read/write round trip; never null; not compared by {@link #matches}
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"architecture", "os", "os.version", "os.features", "variant"})
public record Platform(
    @JsonProperty("os") String os,
    @JsonProperty("architecture") String architecture,
    @JsonProperty("variant") String variant,
    @JsonProperty("os.version") String osVersion,
    @JsonProperty("os.features") List<String> osFeatures,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  private static final Pattern WORD = Pattern.compile("[a-z0-9._-]+");

  /** {@code linux/amd64}. */
  public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null, null, null);
  /** {@code linux/arm64}. */
  public static final Platform LINUX_ARM64 = new Platform("linux", "arm64", null, null, null);

  /**
   * Validates and normalises.
   *
   * @throws InvalidInputException (field {@code "platform"}) when os or architecture is missing
   *     or a part holds characters other than lowercase letters, digits, '.', '_' or '-'
   */
  public Platform {
    String text = os + "/" + architecture + (variant == null ? "" : "/" + variant);
    if (os == null || architecture == null || os.isEmpty() || architecture.isEmpty()) {
      throw new InvalidInputException("platform", text, "os and architecture are required");
    }
    os = os.toLowerCase(Locale.ROOT);
    architecture = normaliseArchitecture(architecture.toLowerCase(Locale.ROOT));
    if (variant != null) {
      variant = variant.toLowerCase(Locale.ROOT);
      if (variant.isEmpty()) {
        variant = null;
      } else if (Character.isDigit(variant.charAt(0))) {
        variant = "v" + variant; // "8" and "v8" name the same ARM variant
      }
    }
    for (String part : new String[] {os, architecture, variant}) {
      if (part != null && !WORD.matcher(part).matches()) {
        throw new InvalidInputException("platform", text,
            "\"" + part + "\" must be lowercase letters, digits, '.', '_' or '-'");
      }
    }
    if (osVersion != null && osVersion.isEmpty()) {
      osVersion = null;
    }
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /**
   * A platform without unknown fields.
   *
   * @throws InvalidInputException as the canonical constructor
   */
  public Platform(String os, String architecture, String variant, String osVersion,
      List<String> osFeatures) {
    this(os, architecture, variant, osVersion, osFeatures, null);
  }

  /**
   * @param os operating system, e.g. {@code linux}
   * @param architecture CPU architecture, e.g. {@code amd64}
   * @return the platform with no variant
   */
  public static Platform of(String os, String architecture) {
    return new Platform(os, architecture, null, null, null);
  }

  /**
   * Parses {@code os/architecture[/variant]}, e.g. {@code linux/arm64/v8}.
   *
   * @throws InvalidInputException (field {@code "platform"}) when malformed
   */
  public static Platform parse(String text) {
    if (text == null) {
      throw new InvalidInputException("platform", null, "must not be null");
    }
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new InvalidInputException("platform", text, "expected os/architecture[/variant]");
    }
    for (String p : parts) {
      if (p.isEmpty()) {
        throw new InvalidInputException("platform", text, "empty part");
      }
    }
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null, null, null);
  }

  /**
   * The platform of the running JVM: {@code os.name} mapped to {@code linux}/{@code darwin}/
   * {@code windows} and {@code os.arch} normalised. Images for a macOS host are run in a Linux
   * VM: callers wanting that use {@code new Platform("linux", host().architecture(), ...)}.
   */
  public static Platform host() {
    String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String os = name.startsWith("mac") || name.startsWith("darwin") ? "darwin"
        : name.startsWith("windows") ? "windows"
        : name.replace(' ', '-');
    return new Platform(os, System.getProperty("os.arch", "unknown"), null, null, null);
  }

  /** @return this platform with {@code variant} (null for none) */
  public Platform withVariant(String variant) {
    return new Platform(os, architecture, variant, osVersion, osFeatures, unknownFields);
  }

  /**
   * Whether an image built for {@code this} satisfies a request for {@code wanted}: same os and
   * architecture, and the same variant when {@code wanted} names one ({@code arm64} without a
   * variant is taken as {@code v8}).
   */
  public boolean matches(Platform wanted) {
    Objects.requireNonNull(wanted, "wanted");
    if (!os.equals(wanted.os) || !architecture.equals(wanted.architecture)) {
      return false;
    }
    return wanted.variant == null || wanted.variant.equals(effectiveVariant());
  }

  private String effectiveVariant() {
    return variant == null && "arm64".equals(architecture) ? "v8" : variant;
  }

  /** @return {@code os/architecture[/variant]} */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }

  private static String normaliseArchitecture(String arch) {
    return switch (arch) {
      case "x86_64", "x86-64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "i386", "i486", "i586", "i686", "x86", "386" -> "386";
      case "armhf", "armel", "arm" -> "arm";
      default -> arch;
    };
  }
}
