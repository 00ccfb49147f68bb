package dev.boxkit.image;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.registry.RegistryCopy;
import dev.boxkit.oci.tarball.DockerArchive;
import java.nio.file.Path;
import java.util.List;

/** Loads base images from OCI layouts, picking a platform's manifest from an index. */
final class BaseImages {
  private BaseImages() {}

  /** Pulls {@code source} for {@code platform} into the store layout at {@code storeDir}, then loads it. */
  static Image pull(RegistryImage source, Platform platform, Path storeDir) {
    OciLayout store = OciLayout.create(storeDir);
    String tag = "boxkit-base-" + Digest.sha256(source.reference() + " " + platform).hex();
    RegistryCopy.using(source.client()).pull(source.reference(), store, tag, platform);
    return load(OciLayoutSource.of(store.dir(), tag), platform);
  }

  /** Imports the tarball's blobs into the store layout at {@code storeDir}, then loads it. */
  static Image importArchive(DockerArchiveSource source, Platform platform, Path storeDir) {
    OciLayout store = OciLayout.create(storeDir);
    return load(store, DockerArchive.read(source.file(), store), platform, source.toString());
  }

  static Image load(OciLayoutSource source, Platform platform) {
    OciLayout layout = OciLayout.open(source.dir());
    return load(layout, layout.resolve(source.tag()), platform, source.toString());
  }

  private static Image load(OciLayout layout, Descriptor root, Platform platform, String source) {
    Descriptor d = root;
    if (MediaType.isIndex(d.mediaType())) {
      ImageIndex index = layout.readIndex(d);
      Platform wanted = platform != null ? platform : Platform.host();
      d = index.manifestFor(wanted).orElseThrow(() -> new OciException(
          source + " is an index with no manifest for platform " + wanted));
      if (MediaType.isIndex(d.mediaType())) {
        throw new OciException(source + ": nested index for " + wanted + " is not supported");
      }
    }
    ImageManifest manifest = layout.readManifest(d);
    ImageConfig config = layout.readConfig(manifest.config());
    if (platform != null && !config.platform().matches(platform)) {
      throw new OciException(source + " is for platform " + config.platform()
          + ", not the requested " + platform);
    }
    return new Image(d, manifest, config, List.of(layout));
  }
}
