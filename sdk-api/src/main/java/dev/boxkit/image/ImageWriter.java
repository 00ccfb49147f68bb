package dev.boxkit.image;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.registry.RegistryClient;
import dev.boxkit.oci.registry.RegistryCopy;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Writes an {@link Image} to each kind of {@link ImageTarget}. */
final class ImageWriter {
  private ImageWriter() {}

  static Descriptor write(Image image, ImageTarget target, BuildListener listener) {
    if (target instanceof OciLayoutTarget t) {
      return toLayout(image, t, listener);
    }
    if (target instanceof DockerArchiveTarget t) {
      return DockerArchiveWriter.write(image, t, listener);
    }
    if (target instanceof RegistryImage t) {
      return toRegistry(image, t, listener);
    }
    throw new OciException("unsupported target " + target);
  }

  private static Descriptor toLayout(Image image, OciLayoutTarget target, BuildListener listener) {
    OciLayout out = OciLayout.create(target.dir());
    copyBlobs(image, out, listener);
    for (String tag : target.tags()) {
      out.tag(tag, image.descriptor());
    }
    return image.descriptor();
  }

  /**
   * Gathers every blob into the image's own store (base-image blobs may live elsewhere) without
   * reporting it (a local copy says nothing about the push), then pushes from there by digest, so
   * the store gains no tag: blobs the registry has are skipped, then the manifest, then the tag.
   * The events say what the push did to each blob; they are gathered from the transfer threads
   * and delivered here, on the calling thread, in image order, also when the push fails part way.
   */
  private static Descriptor toRegistry(Image image, RegistryImage target, BuildListener listener) {
    OciLayout store = image.blobStores().get(0);
    copyBlobs(image, store, BuildListener.NONE);
    Map<Digest, BuildEvent.Outcome> outcomes = new ConcurrentHashMap<>();
    RegistryClient client = target.client().withProgressListener(e -> {
      switch (e.kind()) {
        case DONE -> outcomes.put(e.digest(), BuildEvent.Outcome.WRITTEN);
        case SKIPPED -> outcomes.put(e.digest(), BuildEvent.Outcome.PRESENT);
        case MOUNTED -> outcomes.put(e.digest(), BuildEvent.Outcome.MOUNTED);
        default -> { }
      }
    });
    boolean pushed = false;
    try {
      RegistryCopy.using(client).push(store, image.descriptor(), target.reference());
      pushed = true;
    } finally {
      List<Descriptor> blobs = new ArrayList<>(image.layers());
      blobs.add(image.manifest().config());
      for (Descriptor blob : blobs) {
        BuildEvent.Outcome o = outcomes.get(blob.digest());
        if (o != null) {
          listener.onEvent(new BuildEvent.BlobWritten(blob.digest(), blob.size(), o));
        }
      }
      if (pushed) { // the manifest is always PUT: it carries the tag
        Descriptor m = image.descriptor();
        listener.onEvent(new BuildEvent.BlobWritten(m.digest(), m.size(), BuildEvent.Outcome.WRITTEN));
      }
    }
    return image.descriptor();
  }

  /** Copies layers, config and manifest (in that order) into {@code out}, skipping those it has. */
  static void copyBlobs(Image image, OciLayout out, BuildListener listener) {
    List<Descriptor> blobs = new ArrayList<>(image.layers());
    blobs.add(image.manifest().config());
    blobs.add(image.descriptor());
    for (Descriptor blob : blobs) {
      if (out.hasBlob(blob.digest())) {
        listener.onEvent(new BuildEvent.BlobWritten(blob.digest(), blob.size(), BuildEvent.Outcome.PRESENT));
        continue;
      }
      try (InputStream in = image.openBlob(blob)) {
        out.writeBlob(in, blob);
      } catch (IOException e) {
        throw new OciException("copying blob " + blob.digest() + ": " + e, e);
      }
      listener.onEvent(new BuildEvent.BlobWritten(blob.digest(), blob.size(), BuildEvent.Outcome.WRITTEN));
    }
  }
}
