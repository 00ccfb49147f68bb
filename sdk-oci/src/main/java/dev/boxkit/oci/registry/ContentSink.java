package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;

/** Where an image copy writes to: a registry or a layout. */
interface ContentSink {
  /**
   * Stores the blob read from {@code from} unless the sink has it already (then {@code EXISTED},
   * reported as skipped).
   */
  RegistryClient.PushResult putBlob(Descriptor d, ContentSource from);

  /** Stores a child manifest (by digest). */
  void putManifest(RegistryManifest m);

  /** Stores the root manifest or index and names it with the sink's tag. */
  void putRoot(RegistryManifest m);
}
