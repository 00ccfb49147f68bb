package dev.boxkit.cli;

import dev.boxkit.image.Image;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.registry.RegistryClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code boxkit copy SRC DST}: copies one image between locations, as {@code skopeo copy} does,
 * and prints the manifest digest written. Blobs are copied as stored (never recompressed), so
 * an OCI-to-OCI copy keeps the digest.
 */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = "Copy an image (one platform) between locations; print its manifest digest.")
final class CopyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin CacheOptions cache;

  @Mixin RegistryOptions registry;

  @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Platform to pick from an image index.")
  String platform;

  @Parameters(index = "0", paramLabel = "SRC", description = "oci:DIR:TAG, docker-archive:FILE or docker://REF.")
  SourceRef source;

  @Parameters(index = "1", paramLabel = "DST", description = "oci:DIR:TAG, docker-archive:FILE[:NAME:TAG] or docker://HOST/REPO:TAG.")
  TargetRef target;

  @Override
  public Integer call() {
    RegistryClient client = registry.clientFor(source, target);
    try (OpenedSource src = OpenedSource.open(source, client, cache.store())) {
      Image image = src.load(platform == null ? null : Platform.parse(platform));
      image.writeTo(target.toTarget(client));
      spec.commandLine().getOut().println(image.digest());
      spec.commandLine().getOut().flush();
    }
    return ExitCodes.OK;
  }
}
