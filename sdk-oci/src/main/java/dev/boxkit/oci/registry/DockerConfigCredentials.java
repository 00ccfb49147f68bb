package dev.boxkit.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.boxkit.oci.OciException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Credentials from a Docker {@code config.json} (as {@code docker login}, skopeo's
 * {@code --authfile} and podman's {@code auth.json} write it): {@code credHelpers} per registry,
 * then {@code auths} ({@code auth} = base64 of {@code user:password}, or {@code username} and
 * {@code password}), then {@code credsStore}. A helper is the program
 * {@code docker-credential-<name>} run as {@code get} with the server URL on stdin (docker-credential-helpers
 * protocol). Helpers answering with the user name {@code <token>} (identity tokens) are not
 * supported and give no credentials.
 *
 * <p>The file is read on each lookup, so a later {@code docker login} is seen.
 */
public final class DockerConfigCredentials implements CredentialsProvider {
  private static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
  private static final long HELPER_TIMEOUT_SECONDS = 30;

  private final Path file;
  private final List<Path> helperPath;

  DockerConfigCredentials(Path file, List<Path> helperPath) {
    this.file = file;
    this.helperPath = List.copyOf(helperPath);
  }

  /**
   * @param configFile the {@code config.json} (or {@code auth.json}); a missing file gives no
   *     credentials
   * @return a provider reading it, finding helpers on {@code PATH}
   */
  public static DockerConfigCredentials of(Path configFile) {
    List<Path> path = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        path.add(Path.of(dir));
      }
    }
    return new DockerConfigCredentials(configFile, path);
  }

  /** @return a provider reading {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json} */
  public static DockerConfigCredentials fromDefaultLocation() {
    return of(defaultFiles(System.getenv(), System.getProperty("user.home")).get(1));
  }

  /**
   * The lookup order of skopeo and podman: {@code $REGISTRY_AUTH_FILE} when set, else
   * {@code $XDG_RUNTIME_DIR/containers/auth.json}; then Docker's {@code config.json}
   * ({@link #fromDefaultLocation()}). Files that do not exist are skipped.
   *
   * @return a provider trying those files in that order
   */
  public static CredentialsProvider fromDefaultLocations() {
    List<Path> files = defaultFiles(System.getenv(), System.getProperty("user.home"));
    CredentialsProvider chain = CredentialsProvider.anonymous();
    for (int i = files.size() - 1; i >= 0; i--) {
      if (files.get(i) != null) {
        chain = of(files.get(i)).orElse(chain);
      }
    }
    return chain;
  }

  /** @return [containers auth file or null, docker config file] */
  static List<Path> defaultFiles(java.util.Map<String, String> env, String home) {
    Path containers = null;
    String authFile = env.get("REGISTRY_AUTH_FILE");
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (authFile != null && !authFile.isEmpty()) {
      containers = Path.of(authFile);
    } else if (runtime != null && !runtime.isEmpty()) {
      containers = Path.of(runtime, "containers", "auth.json");
    }
    String dir = env.get("DOCKER_CONFIG");
    Path docker = (dir != null && !dir.isEmpty() ? Path.of(dir) : Path.of(home, ".docker"))
        .resolve("config.json");
    List<Path> out = new ArrayList<>();
    out.add(containers);
    out.add(docker);
    return out;
  }

  /** @return the file this provider reads */
  public Path file() {
    return file;
  }

  /**
   * @throws OciException naming the file when it is not valid JSON, or the helper when it fails
   */
  @Override
  public Optional<Credentials> find(String registry) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode config;
    try {
      config = dev.boxkit.oci.json.OciJson.reader().readTree(java.nio.file.Files.readAllBytes(file));
    } catch (IOException e) {
      throw new OciException("reading credentials from " + file + ": " + e.getMessage(), e);
    }
    if (config == null) {
      return Optional.empty();
    }
    List<String> keys = keysFor(registry);
    for (String key : keys) {
      JsonNode helper = config.path("credHelpers").get(key);
      if (helper != null && helper.isTextual()) {
        return runHelper(helper.asText(), serverUrl(registry));
      }
    }
    JsonNode auths = config.path("auths");
    for (String key : keys) {
      JsonNode entry = auths.get(key);
      if (entry != null) {
        Optional<Credentials> c = fromEntry(entry, registry);
        if (c.isPresent()) {
          return c;
        }
      }
    }
    JsonNode store = config.get("credsStore");
    if (store != null && store.isTextual() && !store.asText().isEmpty()) {
      return runHelper(store.asText(), serverUrl(registry));
    }
    return Optional.empty();
  }

  private static List<String> keysFor(String registry) {
    List<String> keys = new ArrayList<>();
    if (registry.equals("docker.io") || registry.equals("index.docker.io")
        || registry.equals("registry-1.docker.io")) {
      keys.add(DOCKER_HUB_KEY);
      keys.add("docker.io");
      keys.add("index.docker.io");
      keys.add("registry-1.docker.io");
    }
    keys.add(registry);
    keys.add("https://" + registry);
    keys.add("http://" + registry);
    keys.add("https://" + registry + "/v1/");
    keys.add("https://" + registry + "/v2/");
    return keys;
  }

  private static String serverUrl(String registry) {
    return registry.equals("docker.io") ? DOCKER_HUB_KEY : registry;
  }

  private Optional<Credentials> fromEntry(JsonNode entry, String registry) {
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new OciException("credentials for " + registry + " in " + file + ": \"auth\" is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new OciException("credentials for " + registry + " in " + file
            + ": \"auth\" is not base64 of user:password");
      }
      return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
    }
    String user = entry.path("username").asText("");
    if (!user.isEmpty()) {
      return Optional.of(new Credentials(user, entry.path("password").asText("")));
    }
    return Optional.empty();
  }

  private Optional<Credentials> runHelper(String name, String serverUrl) {
    String program = "docker-credential-" + name;
    Path exe = helperPath.stream().map(d -> d.resolve(program))
        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst()
        .orElseThrow(() -> new OciException("credential helper " + program + " (named in " + file
            + ") is not on PATH"));
    try {
      Process p = new ProcessBuilder(exe.toString(), "get").redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
      }
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new OciException("credential helper " + program + " did not finish in "
            + HELPER_TIMEOUT_SECONDS + " s");
      }
      if (p.exitValue() != 0) {
        String msg = new String(out, StandardCharsets.UTF_8).strip();
        if (msg.contains("credentials not found")) {
          return Optional.empty();
        }
        // The helper's stdout may hold secrets only on success; on failure it holds the reason.
        throw new OciException("credential helper " + program + " failed for " + serverUrl
            + " (exit " + p.exitValue() + "): " + msg);
      }
      JsonNode json = dev.boxkit.oci.json.OciJson.reader().readTree(out);
      String user = json.path("Username").asText("");
      String secret = json.path("Secret").asText("");
      if (user.isEmpty() || user.equals("<token>")) {
        return Optional.empty();
      }
      return Optional.of(new Credentials(user, secret));
    } catch (IOException e) {
      throw new OciException("running credential helper " + program + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciException("interrupted running credential helper " + program, e);
    }
  }
}
