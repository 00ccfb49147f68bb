package dev.boxkit.cli;

import dev.boxkit.image.Image;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.json.OciJson;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code boxkit inspect}: prints {@code {"digest": ..., "manifest": {...}, "config": {...}}}
 * for an image, the manifest and config exactly as stored.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Print an image's digest, manifest and config as JSON.")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin CacheOptions cache;

  @Mixin RegistryOptions registry;

  @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Platform to pick from an image index.")
  String platform;

  @Parameters(paramLabel = "IMAGE", description = "The image: oci:DIR:TAG, docker-archive:FILE or docker://REF.")
  SourceRef image;

  @Override
  public Integer call() {
    Image img;
    try (OpenedSource source = OpenedSource.open(image, registry.clientFor(image), cache.store())) {
      img = source.load(platform == null ? null : Platform.parse(platform));
    }
    String json = "{\"digest\":\"" + img.digest() + "\",\"manifest\":"
        + new String(OciJson.write(img.manifest()), StandardCharsets.UTF_8) + ",\"config\":"
        + new String(OciJson.write(img.config()), StandardCharsets.UTF_8) + "}";
    spec.commandLine().getOut().println(json);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
