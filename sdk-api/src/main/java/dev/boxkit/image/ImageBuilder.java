package dev.boxkit.image;

import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.Healthcheck;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layer.LayerBuilder;
import dev.boxkit.oci.layer.LayerDigests;
import dev.boxkit.oci.layer.PermissionPolicy;
import dev.boxkit.oci.layer.SourceDateEpoch;
import dev.boxkit.oci.layout.OciLayout;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Builds an {@link Image}: a base, layers on top, and configuration changes. Each setter checks
 * its argument at once and throws {@link InvalidInputException} naming it; {@link #build()}
 * builds the layers (reproducibly), then writes config and manifest to the blob store.
 *
 * <p>Reproducible by default: layer entries are sorted with fixed timestamps, and the config's
 * {@code created} and history times are {@code SOURCE_DATE_EPOCH} or the epoch, unless
 * {@link #created(Instant)} or {@link #createdNow()} says otherwise. Same inputs, same digests.
 *
 * <p>Not thread-safe; one builder per build.
 */
public final class ImageBuilder {
  private ImageSource base = ImageSource.Scratch.INSTANCE;
  /** Whether the base came from {@link #from(String)}, so {@link #registryClient} applies. */
  private boolean baseByName;
  private dev.boxkit.oci.registry.RegistryClient registryClient;
  private Platform platform;
  private final List<Layer> layers = new ArrayList<>();
  private final List<UnaryOperator<ContainerConfig>> changes = new ArrayList<>();
  private final Map<String, String> annotations = new LinkedHashMap<>();
  private boolean entrypointSet;
  private boolean cmdSet;
  private Instant created;
  private String author;
  private Compression compression = Compression.GZIP;
  private int compressionThreads = Runtime.getRuntime().availableProcessors();
  private Path cacheDir;
  private BuildListener listener = BuildListener.NONE;
  private PermissionPolicy permissions = PermissionPolicy.HOST_WITHOUT_GROUP_OTHER_WRITE;

  ImageBuilder() {}

  /**
   * @param base {@link Image#scratch()}, an {@link OciLayoutSource}, or an {@link Image}; its
   *     layers and configuration (Env, Entrypoint, Cmd, ...) are kept and its history extended
   */
  public ImageBuilder from(ImageSource base) {
    this.base = require("from", base);
    this.baseByName = false;
    return this;
  }

  /**
   * Starts from an image in a registry, e.g. {@code "127.0.0.1:5000/base:1"} or
   * {@code "debian:12"}, pulled with the client of {@link #registryClient} when one is set, else
   * the default {@link dev.boxkit.oci.registry.RegistryClient#create()} (which speaks plain HTTP
   * to the registries {@code registries.conf} marks {@code insecure = true}, as skopeo does).
   *
   * @throws InvalidInputException (field {@code reference}) when malformed
   */
  public ImageBuilder from(String registryReference) {
    from(RegistryImage.of(registryReference));
    this.baseByName = true;
    return this;
  }

  /**
   * The registry client for a base given by name ({@link #from(String)}), in any call order:
   * credentials, plain-HTTP registries, CA certificates, timeouts.
   *
   * @param client the client
   * @throws InvalidInputException naming {@code registryClient} when null
   */
  public ImageBuilder registryClient(dev.boxkit.oci.registry.RegistryClient client) {
    this.registryClient = require("registryClient", client);
    return this;
  }

  /**
   * @param platform the image's platform; default: the base image's, or for scratch the host's
   *     ({@link Platform#host()})
   */
  public ImageBuilder platform(Platform platform) {
    this.platform = require("platform", platform);
    return this;
  }

  /** Appends a layer on top of the base's layers and the layers added before. */
  public ImageBuilder layer(Layer layer) {
    layers.add(require("layer", layer));
    return this;
  }

  /**
   * Appends layers in order, e.g. those of {@link Layer#fromDirectorySplit}.
   *
   * @throws InvalidInputException naming {@code layers} when the list or an element is null
   */
  public ImageBuilder layers(List<Layer> layers) {
    require("layers", layers).forEach(l -> this.layers.add(require("layers", l)));
    return this;
  }

  /**
   * Sets {@code Entrypoint}. As with Docker, this also clears a {@code Cmd} inherited from the base
   * unless {@link #cmd(String...)} is called too.
   *
   * @param argv the program and its first arguments; an empty array clears the entrypoint
   */
  public ImageBuilder entrypoint(String... argv) {
    List<String> list = args("entrypoint", argv);
    entrypointSet = true;
    changes.add(c -> c.withEntrypoint(list.isEmpty() ? null : list));
    return this;
  }

  /** Sets {@code Cmd}: the default arguments (or command, without an entrypoint). */
  public ImageBuilder cmd(String... argv) {
    List<String> list = args("cmd", argv);
    cmdSet = true;
    changes.add(c -> c.withCmd(list.isEmpty() ? null : list));
    return this;
  }

  /**
   * Sets one environment variable, replacing an inherited one of the same name.
   *
   * @param name non-empty, without {@code =}
   * @param value may be empty, not null
   */
  public ImageBuilder env(String name, String value) {
    if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
      throw new InvalidInputException("env name", name, "must be non-empty, without '=' or NUL");
    }
    if (value == null || value.indexOf('\0') >= 0) {
      throw new InvalidInputException("env " + name, value, "must not be null or contain NUL");
    }
    changes.add(c -> c.withEnv(name, value));
    return this;
  }

  /**
   * Sets {@code User}: {@code user}, {@code uid}, {@code user:group} or {@code uid:gid}.
   */
  public ImageBuilder user(String user) {
    if (user == null || user.isEmpty() || !user.matches("[^:\\s]+(:[^:\\s]+)?")) {
      throw new InvalidInputException("user", user, "expected user, uid, user:group or uid:gid");
    }
    changes.add(c -> c.withUser(user));
    return this;
  }

  /** Sets {@code WorkingDir}; must be absolute. */
  public ImageBuilder workingDir(String dir) {
    if (dir == null || !dir.startsWith("/")) {
      throw new InvalidInputException("workingDir", dir, "must be an absolute path");
    }
    changes.add(c -> c.withWorkingDir(dir));
    return this;
  }

  /** Adds {@code port/tcp} to {@code ExposedPorts}; port in 1..65535. */
  public ImageBuilder exposedPort(int port) {
    return exposedPort(port + "/tcp");
  }

  /** Adds to {@code ExposedPorts}, e.g. {@code "8080/tcp"} or {@code "53/udp"}. */
  public ImageBuilder exposedPort(String portAndProtocol) {
    if (portAndProtocol == null || !portAndProtocol.matches("[0-9]{1,5}/(tcp|udp|sctp)")) {
      throw new InvalidInputException("exposedPort", portAndProtocol, "expected PORT/tcp, PORT/udp or PORT/sctp");
    }
    int port = Integer.parseInt(portAndProtocol.substring(0, portAndProtocol.indexOf('/')));
    if (port < 1 || port > 65535) {
      throw new InvalidInputException("exposedPort", portAndProtocol, "port must be 1..65535");
    }
    changes.add(c -> c.withExposedPort(portAndProtocol));
    return this;
  }

  /** Sets a label ({@code config.Labels}); the key must be non-empty. */
  public ImageBuilder label(String key, String value) {
    if (key == null || key.isEmpty()) {
      throw new InvalidInputException("label key", key, "must not be empty");
    }
    require("label " + key, value);
    changes.add(c -> c.withLabel(key, value));
    return this;
  }

  /** Adds a {@code Volumes} entry; must be absolute. */
  public ImageBuilder volume(String path) {
    if (path == null || !path.startsWith("/")) {
      throw new InvalidInputException("volume", path, "must be an absolute path");
    }
    changes.add(c -> c.withVolume(path));
    return this;
  }

  /** Sets {@code StopSignal}, e.g. {@code "SIGTERM"} or {@code "15"}. */
  public ImageBuilder stopSignal(String signal) {
    if (signal == null || !signal.matches("SIG[A-Z0-9+-]+|[0-9]{1,2}")) {
      throw new InvalidInputException("stopSignal", signal, "expected a name like SIGTERM or a number");
    }
    changes.add(c -> c.withStopSignal(signal));
    return this;
  }

  /** Sets Docker's {@code Healthcheck}. */
  public ImageBuilder healthcheck(Healthcheck healthcheck) {
    require("healthcheck", healthcheck);
    changes.add(c -> c.withHealthcheck(healthcheck));
    return this;
  }

  /** Sets the config's {@code author}. */
  public ImageBuilder author(String author) {
    this.author = require("author", author);
    return this;
  }

  /** Adds a manifest annotation, e.g. {@code org.opencontainers.image.source}. */
  public ImageBuilder annotation(String key, String value) {
    if (key == null || key.isEmpty()) {
      throw new InvalidInputException("annotation key", key, "must not be empty");
    }
    annotations.put(key, require("annotation " + key, value));
    return this;
  }

  /**
   * Sets the config's {@code created} time and the new history entries' times. Default:
   * {@code SOURCE_DATE_EPOCH}, else 1970-01-01T00:00:00Z, so builds are reproducible.
   */
  public ImageBuilder created(Instant created) {
    this.created = require("created", created);
    return this;
  }

  /** Uses the wall clock for {@code created}: the image digest then changes on every build. */
  public ImageBuilder createdNow() {
    return created(Instant.now());
  }

  /**
   * Layer compression; default {@link Compression#GZIP}, which every registry and runtime reads.
   * {@link Compression#ZSTD} builds and unpacks faster; see {@link Compression} for who can read
   * it. Layers of the base image are kept as they are.
   */
  public ImageBuilder compression(Compression compression) {
    this.compression = require("compression", compression);
    return this;
  }

  /**
   * How many threads compress each layer; default: the available processors. Digests never
   * depend on it (see {@link dev.boxkit.oci.layer.LayerBuilder#compressionThreads(int)}).
   *
   * @param threads 1 to {@value dev.boxkit.oci.layer.LayerBuilder#MAX_COMPRESSION_THREADS}
   * @throws InvalidInputException naming {@code compressionThreads} when outside that range
   */
  public ImageBuilder compressionThreads(int threads) {
    if (threads < 1 || threads > LayerBuilder.MAX_COMPRESSION_THREADS) {
      throw new InvalidInputException("compressionThreads", Integer.toString(threads),
          "must be 1 to " + LayerBuilder.MAX_COMPRESSION_THREADS);
    }
    this.compressionThreads = threads;
    return this;
  }

  /**
   * Where built blobs are kept (an OCI layout used as a content-addressed store); default
   * {@code BoxKitDirs.cacheRoot()/store}.
   */
  public ImageBuilder cacheDir(Path dir) {
    this.cacheDir = require("cacheDir", dir);
    return this;
  }

  /**
   * How host files' permission bits become the layers' (a {@link Layer#of} recipe may set its
   * own). Default {@link PermissionPolicy#HOST_WITHOUT_GROUP_OTHER_WRITE}: the host's bits, never
   * widened, with group/other write and set-uid/set-gid cleared, so the builder's umask does not
   * change digests.
   *
   * @throws InvalidInputException naming {@code permissions} when null
   */
  public ImageBuilder permissions(PermissionPolicy policy) {
    this.permissions = require("permissions", policy);
    return this;
  }

  /** Keeps host permission bits exactly, set-uid, set-gid and sticky included. */
  public ImageBuilder preservePermissions() {
    return permissions(PermissionPolicy.PRESERVE);
  }

  /**
   * Jib-style modes: 0755 for directories and files with any execute bit, 0644 for other files.
   * Widens private files (0600 becomes 0644).
   */
  public ImageBuilder normalizePermissions() {
    return permissions(PermissionPolicy.NORMALIZE);
  }

  /** Receives progress events; default none. */
  public ImageBuilder listener(BuildListener listener) {
    this.listener = require("listener", listener);
    return this;
  }

  /**
   * Builds the layers, then the config and manifest, into the blob store.
   *
   * @return the image
   * @throws InvalidInputException for a conflicting layer entry or a bad base/platform choice
   * @throws dev.boxkit.oci.elf.ExecutableClosure.ArchitectureMismatchException when a
   *     {@link Layer#fromExecutables} program or library is built for another architecture than
   *     the image's, naming the file and both architectures
   * @throws dev.boxkit.oci.layer.LayerSourceException when a host file cannot be read
   * @throws dev.boxkit.oci.layout.TagNotFoundException when the base tag does not exist
   * @throws OciException when the store cannot be written
   */
  public Image build() {
    Image baseImage = loadBase();
    OciLayout store = OciLayout.create(storeDir());
    Instant time = created != null ? created : SourceDateEpoch.fromEnvironmentOrEpoch();

    ImageConfig config = baseImage != null ? baseImage.config() : ImageConfig.of(platformOrHost());
    ImageManifest manifest = baseImage != null ? baseImage.manifest() : null;
    List<Descriptor> layerDescriptors = new ArrayList<>(manifest != null ? manifest.layers() : List.of());

    for (Layer layer : layers) { // before any layer is built: a wrong platform fails fast
      layer.checkArchitecture(config.architecture());
    }
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      LayerDigests blob = buildLayer(i, layer, store, time);
      layerDescriptors.add(Descriptor.of(blob.mediaType(), blob.digest(), blob.sizeBytes()));
      config = config.withLayerAppended(blob.diffId(), History.of(time, layer.description()));
    }
    boolean clearCmd = entrypointSet && !cmdSet;
    List<UnaryOperator<ContainerConfig>> all = new ArrayList<>(changes);
    if (clearCmd) {
      all.add(0, c -> c.withCmd(null));
    }
    for (UnaryOperator<ContainerConfig> change : all) {
      config = config.withConfig(change);
    }
    config = config.withCreated(time);
    if (author != null) {
      config = config.withAuthor(author);
    }
    Descriptor configDescriptor = store.writeConfig(config);
    ImageManifest out = ImageManifest.of(configDescriptor, layerDescriptors);
    for (Map.Entry<String, String> a : annotations.entrySet()) {
      out = out.withAnnotation(a.getKey(), a.getValue());
    }
    Descriptor manifestDescriptor = store.writeManifest(out);
    List<OciLayout> stores = new ArrayList<>();
    stores.add(store);
    if (baseImage != null) {
      stores.addAll(baseImage.blobStores());
    }
    return new Image(manifestDescriptor, out, config, stores);
  }

  private Platform platformOrHost() {
    return platform != null ? platform : Platform.host();
  }

  private Image loadBase() {
    if (base instanceof Image image) {
      checkPlatform(image);
      return image;
    }
    if (base instanceof OciLayoutSource source) {
      return Image.load(source, platform);
    }
    if (base instanceof DockerArchiveSource source) {
      return BaseImages.importArchive(source, platform, storeDir());
    }
    if (base instanceof RegistryImage source) {
      return pull(baseByName && registryClient != null
          ? new RegistryImage(source.reference(), registryClient) : source);
    }
    return null;
  }

  /** Pulls the base into the store (blobs it has are skipped), then loads it from there. */
  private Image pull(RegistryImage source) {
    return BaseImages.pull(source, platformOrHost(), storeDir());
  }

  private Path storeDir() {
    return cacheDir != null ? cacheDir : BoxKitDirs.cacheRoot().resolve("store");
  }

  private void checkPlatform(Image image) {
    if (platform != null && !image.platform().matches(platform)) {
      throw new InvalidInputException("platform", platform.toString(),
          "the base image " + image.digest() + " is for " + image.platform());
    }
  }

  private LayerDigests buildLayer(int index, Layer layer, OciLayout store, Instant time) {
    listener.onEvent(new BuildEvent.LayerStarted(index, layer.description()));
    LayerCache cache = new LayerCache(store);
    Digest key = layer.inputsFingerprint()
        .map(inputs -> LayerCache.key(layer.description(), inputs, time + " " + compression + " " + permissions))
        .orElse(null);
    if (key != null) {
      Optional<LayerDigests> hit = cache.find(key);
      if (hit.isPresent()) {
        LayerDigests d = hit.get();
        listener.onEvent(new BuildEvent.LayerDone(index, d.digest(), d.diffId(), d.sizeBytes(), true));
        return d;
      }
    }
    LayerBuilder b = LayerBuilder.create()
        .sourceDateEpoch(time)
        .compression(compression)
        .compressionThreads(compressionThreads)
        .permissions(permissions)
        .progressListener((entries, total, bytes) ->
            listener.onEvent(new BuildEvent.LayerProgress(index, bytes)));
    layer.recipe().accept(b);
    LayerDigests d = b.buildInto(store.dir().resolve(OciLayout.BLOBS_DIR).resolve(Digest.SHA256)).digests();
    if (key != null) {
      cache.put(key, d);
    }
    listener.onEvent(new BuildEvent.LayerDone(index, d.digest(), d.diffId(), d.sizeBytes(), false));
    return d;
  }

  private static <T> T require(String field, T value) {
    if (value == null) {
      throw new InvalidInputException(field, null, "must not be null");
    }
    return value;
  }

  private static List<String> args(String field, String[] argv) {
    if (argv == null) {
      throw new InvalidInputException(field, null, "must not be null");
    }
    for (String a : argv) {
      if (a == null || a.indexOf('\0') >= 0) {
        throw new InvalidInputException(field, Arrays.toString(argv), "arguments must not be null or contain NUL");
      }
    }
    return List.of(argv);
  }

  @Override
  public String toString() {
    return "ImageBuilder[from " + base + ", " + layers.size() + " layers]";
  }
}
