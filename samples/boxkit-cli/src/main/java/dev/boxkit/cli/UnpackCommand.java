package dev.boxkit.cli;

import dev.boxkit.image.Image;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.unpack.LayerSource;
import dev.boxkit.oci.unpack.PrivilegePolicy;
import dev.boxkit.oci.unpack.RootfsUnpacker;
import dev.boxkit.oci.unpack.UnpackResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code boxkit unpack IMAGE DIR}: applies the image's layers into a new directory (image-spec
 * {@code layer.md}: whiteouts honoured, nothing written outside it, every diffID verified). The
 * directory must not exist; on failure it still does not. Setuid/setgid bits and device nodes are
 * dropped ({@link PrivilegePolicy#DROP}) unless {@code --keep-special} is given: the tree is
 * reachable by other host users, and an image unpacked as root must not hand them privileges.
 */
@Command(name = "unpack", mixinStandardHelpOptions = true,
    description = "Unpack an image's root filesystem into a new directory.")
final class UnpackCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin CacheOptions cache;

  @Mixin RegistryOptions registry;

  @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Platform to pick from an image index.")
  String platform;

  @Option(names = "--keep-special", description = "Keep setuid/setgid bits and create device nodes"
      + " as the image has them (default: dropped, so DIR grants no host user privileges).")
  boolean keepSpecial;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "oci:DIR:TAG, docker-archive:FILE or docker://REF.")
  SourceRef image;

  @Parameters(index = "1", paramLabel = "DIR", description = "The directory to create.")
  Path target;

  @Override
  public Integer call() {
    UnpackResult r;
    try (OpenedSource source = OpenedSource.open(image, registry.clientFor(image), cache.store())) {
      Image img = source.load(platform == null ? null : Platform.parse(platform));
      OciLayout layout = OciLayout.open(source.layoutDir());
      if (img.config().diffIds().size() != img.layers().size()) {
        throw new dev.boxkit.oci.OciException("image " + img.digest() + " has " + img.layers().size()
            + " layers but its config lists " + img.config().diffIds().size() + " diff_ids");
      }
      List<LayerSource> layers = new ArrayList<>();
      for (int i = 0; i < img.layers().size(); i++) {
        Descriptor l = img.layers().get(i);
        Compression c = Compression.fromMediaType(l.mediaType());
        layers.add(new LayerSource(layout.blobPath(l.digest()), l.digest(), img.config().diffIds().get(i), c));
      }
      r = RootfsUnpacker.builder()
          .privileges(keepSpecial ? PrivilegePolicy.KEEP : PrivilegePolicy.DROP)
          .build().unpack(layers, target);
    }
    spec.commandLine().getErr().println("unpacked " + r.entryCount() + " entries, " + r.fileBytes()
        + " bytes of files into " + r.root()
        + (r.ownersNotApplied().isEmpty() ? "" : "; " + r.ownersNotApplied().size() + " owners not applied (not root)")
        + (r.skipped().isEmpty() ? "" : "; " + r.skipped().size() + " entries skipped"));
    spec.commandLine().getErr().flush();
    return ExitCodes.OK;
  }
}
