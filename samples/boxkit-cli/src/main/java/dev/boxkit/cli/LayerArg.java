package dev.boxkit.cli;

import dev.boxkit.image.Layer;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.layer.ImagePath;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --layer HOSTPATH:IMAGEPATH}: a host file or directory placed at an absolute path in the
 * image. The split is at the last colon, so host paths may hold colons; image paths may not.
 *
 * @param hostPath an existing host file or directory, absolute
 * @param imagePath a normalised absolute path inside the image
 */
record LayerArg(Path hostPath, String imagePath) {

  /**
   * @throws InvalidInputException (field {@code layer}) without a colon, for a host path that
   *     does not exist, or for an image path that is relative or climbs with {@code ..}
   */
  static LayerArg parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new InvalidInputException("layer", text, "expected HOSTPATH:IMAGEPATH");
    }
    Path host = Path.of(text.substring(0, colon)).toAbsolutePath().normalize();
    String imagePath = text.substring(colon + 1);
    try {
      ImagePath.parse(imagePath);
    } catch (InvalidInputException e) {
      throw new InvalidInputException("layer", text, "image path: " + e.getMessage());
    }
    if (!Files.exists(host)) {
      throw new InvalidInputException("layer", text, "host path " + host + " does not exist");
    }
    return new LayerArg(host, imagePath);
  }

  /** @return a layer holding the directory tree, or the single file, at {@link #imagePath()} */
  Layer toLayer() {
    return Files.isDirectory(hostPath) ? Layer.fromDirectory(hostPath, imagePath)
        : Layer.fromFile(hostPath, imagePath);
  }
}
