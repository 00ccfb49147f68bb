package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import java.nio.file.Path;

/** Where an image copy reads from: a registry or a layout. Every read is verified. */
interface ContentSource {
  /** @return the manifest or index the source's reference names, verified */
  RegistryManifest root();

  /** @return the manifest or index {@code d} (by digest), verified against it */
  RegistryManifest manifest(Descriptor d);

  /** @return the blob's content, readable more than once; verified by the sink's registry or here */
  BlobSource blob(Descriptor d);

  /** Writes the blob to {@code target} verified, atomically; nothing is left on failure. */
  void blobTo(Descriptor d, Path target);

  /** @return the registry repository the content is in, or null for a local source */
  ImageReference repository();

  /** Releases temporary files. */
  default void close() {}
}
