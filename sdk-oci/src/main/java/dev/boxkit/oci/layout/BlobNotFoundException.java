package dev.boxkit.oci.layout;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.OciException;
import java.nio.file.Path;

/** A blob an image layout should hold (referenced by a descriptor) is absent. */
public class BlobNotFoundException extends OciException {
  private static final long serialVersionUID = 1L;

  private final Digest digest;

  /**
   * @param digest the missing blob's digest
   * @param path where it was expected
   */
  public BlobNotFoundException(Digest digest, Path path) {
    super("blob " + digest + " not found: no file " + path);
    this.digest = digest;
  }

  /** @return the missing blob's digest */
  public Digest digest() {
    return digest;
  }
}
