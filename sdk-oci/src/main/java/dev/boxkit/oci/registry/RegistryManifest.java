package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;

/**
 * A manifest or index exactly as the registry served it, verified against its digest.
 *
 * @param mediaType the media type (Content-Type, checked against the document's own
 *     {@code mediaType})
 * @param content the exact bytes; the digest covers them
 * @param digest the digest of {@code content}
 */
public record RegistryManifest(String mediaType, byte[] content, Digest digest) {
  /** @throws InvalidInputException when a field is missing */
  public RegistryManifest {
    if (mediaType == null || mediaType.isEmpty()) {
      throw new InvalidInputException("mediaType", mediaType, "is required");
    }
    if (content == null || digest == null) {
      throw new InvalidInputException("manifest", null, "content and digest are required");
    }
    content = content.clone();
  }

  /** @return a copy of the bytes */
  @Override
  public byte[] content() {
    return content.clone();
  }

  /** Equal when media type, digest and bytes are. */
  @Override
  public boolean equals(Object o) {
    return o instanceof RegistryManifest m && mediaType.equals(m.mediaType) && digest.equals(m.digest)
        && java.util.Arrays.equals(content, m.content);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "RegistryManifest[" + mediaType + ", " + digest + ", " + content.length + " bytes]";
  }

  /** @return the descriptor of this manifest: media type, digest and size */
  public Descriptor descriptor() {
    return Descriptor.of(mediaType, digest, content.length);
  }
}
