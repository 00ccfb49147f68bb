package dev.boxkit.image;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One image for several platforms: an image index (image-spec {@code image-index.md}) whose
 * entries are per-platform manifests, each descriptor carrying its {@code platform}. Immutable.
 * Registries and runtimes pick the entry for their platform.
 */
public final class MultiPlatformImage {
  private final List<Image> images;
  private final ImageIndex index;
  private final Descriptor descriptor;
  private final OciLayout store;

  private MultiPlatformImage(List<Image> images, ImageIndex index, Descriptor descriptor, OciLayout store) {
    this.images = images;
    this.index = index;
    this.descriptor = descriptor;
    this.store = store;
  }

  /**
   * Makes the index over {@code images}, in the order given (the order is part of the digest).
   *
   * @param images at least one image; no two for the same platform
   * @throws InvalidInputException (field {@code images}) when empty or when two images share a
   *     platform
   */
  public static MultiPlatformImage of(List<Image> images) {
    if (images == null || images.isEmpty()) {
      throw new InvalidInputException("images", String.valueOf(images), "at least one image is needed");
    }
    Set<Platform> seen = new HashSet<>();
    List<Descriptor> entries = new ArrayList<>();
    for (Image image : images) {
      if (image == null) {
        throw new InvalidInputException("images", String.valueOf(images), "must not contain null");
      }
      if (!seen.add(image.platform())) {
        throw new InvalidInputException("images", image.platform().toString(),
            "two images for the same platform");
      }
      entries.add(image.descriptor().withPlatform(image.platform()));
    }
    ImageIndex index = ImageIndex.of(entries);
    OciLayout store = images.get(0).blobStores().get(0);
    Descriptor d = store.writeIndex(index);
    return new MultiPlatformImage(List.copyOf(images), index, d, store);
  }

  /** @return the index's digest, which identifies the multi-platform image */
  public Digest digest() {
    return descriptor.digest();
  }

  /** @return the index's descriptor */
  public Descriptor descriptor() {
    return descriptor;
  }

  /** @return the index */
  public ImageIndex index() {
    return index;
  }

  /** @return the per-platform images, in index order */
  public List<Image> images() {
    return images;
  }

  /**
   * Writes every image's blobs, then the index, then the tags (which point at the index).
   *
   * @return the index descriptor
   */
  public Descriptor writeTo(OciLayoutTarget target) {
    return writeTo(target, BuildListener.NONE);
  }

  /** As {@link #writeTo(OciLayoutTarget)}, reporting each blob to {@code listener}. */
  public Descriptor writeTo(OciLayoutTarget target, BuildListener listener) {
    OciLayout out = OciLayout.create(target.dir());
    for (Image image : images) {
      ImageWriter.copyBlobs(image, out, listener);
    }
    if (!out.hasBlob(descriptor.digest())) {
      out.writeBlob(store.readBlob(descriptor), descriptor.mediaType());
    }
    for (String tag : target.tags()) {
      out.tag(tag, descriptor);
    }
    return descriptor;
  }
}
