package dev.boxkit.image;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.tarball.DockerArchive;
import java.util.ArrayList;
import java.util.List;

/** Writes an {@link Image} as a {@code docker load} archive, reading blobs from its stores. */
final class DockerArchiveWriter {
  private DockerArchiveWriter() {}

  static Descriptor write(Image image, DockerArchiveTarget target, BuildListener listener) {
    byte[] config = image.store(image.manifest().config().digest()).readBlob(image.manifest().config());
    List<DockerArchive.LayerBlob> layers = new ArrayList<>();
    for (Descriptor l : image.layers()) {
      layers.add(new DockerArchive.LayerBlob(image.store(l.digest()).blobPath(l.digest()), l.digest(), l.mediaType()));
    }
    DockerArchive.write(target.file(), config, layers, target.repoTags());
    for (Descriptor l : image.layers()) {
      listener.onEvent(new BuildEvent.BlobWritten(l.digest(), l.size(), BuildEvent.Outcome.WRITTEN));
    }
    return image.descriptor();
  }
}
