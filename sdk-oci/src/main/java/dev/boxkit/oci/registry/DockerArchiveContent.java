package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.io.FileTrees;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.tarball.DockerArchive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code docker save} tarball as source or sink of image copies, through a temporary OCI
 * layout: a source reads the tarball into it first; a sink gathers blobs there and writes the
 * tarball when the root arrives. The layout is removed on close.
 */
final class DockerArchiveContent {
  private static final Logger LOG = LoggerFactory.getLogger(DockerArchiveContent.class);

  private DockerArchiveContent() {}

  static ContentSource source(Path archive) {
    Path dir = tempLayoutDir();
    try {
      OciLayout layout = OciLayout.create(dir);
      Descriptor root = DockerArchive.read(archive, layout);
      return LayoutContent.ofRoot(layout, root, BlobProgress.Listener.none()).withCleanup(() -> delete(dir));
    } catch (RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  static ContentSink sink(Path target, List<ImageReference> repoTags) {
    Path dir = tempLayoutDir();
    return new Sink(OciLayout.create(dir), dir, target, repoTags);
  }

  private record Sink(OciLayout layout, Path dir, Path target, List<ImageReference> repoTags)
      implements ContentSink {
    @Override
    public RegistryClient.PushResult putBlob(Descriptor d, ContentSource from) {
      if (layout.hasBlob(d.digest())) {
        return RegistryClient.PushResult.EXISTED;
      }
      from.blobTo(d, layout.blobPath(d.digest()));
      return RegistryClient.PushResult.UPLOADED;
    }

    @Override
    public void putManifest(RegistryManifest m) {
      layout.writeBlob(m.content(), m.mediaType());
    }

    @Override
    public void putRoot(RegistryManifest m) {
      if (!MediaType.isManifest(m.mediaType())) {
        throw new InvalidInputException("platform", null, "a docker archive holds one image, but "
            + m.digest() + " is an index (" + m.mediaType() + "): pick a platform");
      }
      putManifest(m);
      DockerArchive.write(target, layout, m.descriptor(), repoTags);
    }

    @Override
    public void close() {
      delete(dir);
    }

    @Override
    public String toString() {
      return "docker-archive:" + target;
    }
  }

  private static Path tempLayoutDir() {
    try {
      return Files.createTempDirectory("boxkit-docker-archive-");
    } catch (IOException e) {
      throw new OciException("creating a temporary directory: " + e, e);
    }
  }

  private static void delete(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      LOG.warn("cannot remove temporary layout {}: {}", dir, e.toString());
    }
  }
}
