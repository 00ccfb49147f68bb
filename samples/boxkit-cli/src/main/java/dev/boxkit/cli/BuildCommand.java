package dev.boxkit.cli;

import dev.boxkit.image.BuildEvent;
import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.registry.RegistryClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code boxkit build}: an image from a base, host files and configuration, written to an OCI
 * layout or a docker archive. Prints the manifest digest on stdout and nothing else there.
 */
@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Build an image and print its manifest digest.")
final class BuildCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ParentCommand BoxkitCommand parent;

  @Option(names = "--from", paramLabel = "SOURCE", defaultValue = "scratch",
      description = "Base image: scratch (default), oci:DIR:TAG, docker-archive:FILE or docker://REF.")
  SourceRef from;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
      description = "Image platform, e.g. linux/amd64; default: the base's, or the host's.")
  String platform;

  @Option(names = "--layer", paramLabel = "HOSTPATH:IMAGEPATH",
      description = "Add a host file or directory at an absolute image path (one layer each).")
  List<LayerArg> layers = new ArrayList<>();

  @Option(names = "--executables", paramLabel = "PATH", split = ",",
      description = "Add host programs with their ELF interpreter and libraries (one layer).")
  List<Path> executables = new ArrayList<>();

  @Option(names = "--entrypoint", paramLabel = "ARG",
      description = "Entrypoint argument; repeat for each (clears the base's Cmd unless --cmd is given);"
          + " one empty argument clears the Entrypoint.")
  List<String> entrypoint;

  @Option(names = "--cmd", paramLabel = "ARG",
      description = "Cmd argument; repeat for each; one empty argument clears the Cmd.")
  List<String> cmd;

  @Option(names = "--env", paramLabel = "K=V", description = "Set an environment variable.")
  List<KeyValue> env = new ArrayList<>();

  @Option(names = "--workdir", paramLabel = "DIR", description = "Working directory (absolute).")
  String workdir;

  @Option(names = "--user", paramLabel = "USER[:GROUP]", description = "User: name or uid, optional group.")
  String user;

  @Option(names = "--label", paramLabel = "K=V", description = "Add a label.")
  List<KeyValue> labels = new ArrayList<>();

  @Option(names = "--expose", paramLabel = "PORT/PROTO", description = "Expose a port, e.g. 8080/tcp.")
  List<String> expose = new ArrayList<>();

  @Option(names = "--preserve-permissions",
      description = "Keep host permission bits exactly (set-uid, set-gid, sticky and group/other write too).")
  boolean preservePermissions;

  @Option(names = "--normalize-permissions",
      description = "Jib-style modes: 0755 for directories and files with an execute bit, 0644 for others."
          + " Default: host bits, never widened, group/other write cleared.")
  boolean normalizePermissions;

  @Option(names = "--compression", paramLabel = "gzip|zstd|none", defaultValue = "gzip",
      converter = CompressionConverter.class,
      description = "Layer compression: gzip (default, read everywhere), zstd (faster; containerd 1.5+,"
          + " Podman, Docker 23+) or none.")
  Compression compression;

  @Option(names = "--output", paramLabel = "TARGET", required = true,
      description = "oci:DIR:TAG, docker-archive:FILE[:NAME:TAG] or docker://HOST/REPO:TAG.")
  TargetRef output;

  @Mixin CacheOptions cache;

  @Mixin RegistryOptions registry;

  @Option(names = {"-q", "--quiet"}, description = "Print no progress on stderr.")
  boolean quiet;

  /** Reads {@code gzip}, {@code zstd} or {@code none}, in any case. */
  static final class CompressionConverter implements picocli.CommandLine.ITypeConverter<Compression> {
    @Override
    public Compression convert(String value) {
      try {
        return Compression.valueOf(value.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a compression: expected gzip, zstd or none");
      }
    }
  }

  @Override
  public Integer call() {
    ImageBuilder b = Image.builder().cacheDir(cache.store()).compression(compression);
    RegistryClient client = registry.clientFor(from, output);
    if (!quiet) {
      b.listener(this::progress);
    }
    if (platform != null) {
      b.platform(Platform.parse(platform));
    }
    if (preservePermissions && normalizePermissions) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--preserve-permissions and --normalize-permissions exclude each other");
    }
    if (preservePermissions) {
      b.preservePermissions();
    } else if (normalizePermissions) {
      b.normalizePermissions();
    }
    for (LayerArg l : layers) {
      b.layer(l.toLayer());
    }
    if (!executables.isEmpty()) {
      b.layer(Layer.fromExecutables(executables.stream().map(p -> p.toAbsolutePath().normalize())
          .toArray(Path[]::new)));
    }
    if (entrypoint != null) {
      b.entrypoint(argv(entrypoint));
    }
    if (cmd != null) {
      b.cmd(argv(cmd));
    }
    env.forEach(kv -> b.env(kv.key(), kv.value()));
    if (workdir != null) {
      b.workingDir(workdir);
    }
    if (user != null) {
      b.user(user);
    }
    labels.forEach(kv -> b.label(kv.key(), kv.value()));
    expose.forEach(b::exposedPort);
    Image image;
    // An imported docker archive must outlive writeTo: the base's blobs are copied from it.
    try (OpenedSource base = OpenedSource.open(from, client, cache.store())) {
      image = b.from(base.source()).build();
      image.writeTo(output.toTarget(client));
    }
    spec.commandLine().getOut().println(image.digest());
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }

  /** A single empty argument clears the value, as {@code docker run --entrypoint ""} does. */
  private static String[] argv(List<String> args) {
    return args.equals(List.of("")) ? new String[0] : args.toArray(String[]::new);
  }

  private void progress(BuildEvent e) {
    if (e instanceof BuildEvent.LayerDone d) {
      spec.commandLine().getErr().println("layer " + d.index() + ": " + d.digest() + " (" + d.sizeBytes() + " bytes)");
    }
  }
}
