package dev.boxkit.oci.layout;

import dev.boxkit.oci.Descriptor;
import java.nio.file.Path;

/** Tags one manifest many times from a separate JVM: {@code DIR DIGEST SIZE MEDIATYPE PREFIX N}. */
public final class TagWriterMain {
  private TagWriterMain() {}

  /** @param args layout dir, manifest digest, size, media type, tag prefix, count */
  public static void main(String[] args) {
    OciLayout layout = OciLayout.open(Path.of(args[0]));
    Descriptor d = Descriptor.of(args[3], dev.boxkit.oci.Digest.parse(args[1]),
        Long.parseLong(args[2]));
    int n = Integer.parseInt(args[5]);
    for (int i = 0; i < n; i++) {
      layout.tag(args[4] + i, d);
    }
  }
}
