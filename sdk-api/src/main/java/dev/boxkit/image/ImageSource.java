package dev.boxkit.image;

/**
 * Where a build starts from: {@link Image#scratch()} (no layers), an image in an OCI layout
 * ({@link OciLayoutSource}), an image in a registry ({@link RegistryImage}), an image in a
 * {@code docker save} tarball ({@link DockerArchiveSource}), or an {@link Image} built earlier in
 * this JVM.
 */
public sealed interface ImageSource permits ImageSource.Scratch, OciLayoutSource, RegistryImage, DockerArchiveSource,
    Image {

  /** The empty base: no layers, no configuration beyond the platform. */
  enum Scratch implements ImageSource {
    /** The one scratch image. */
    INSTANCE;

    @Override
    public String toString() {
      return "scratch";
    }
  }
}
