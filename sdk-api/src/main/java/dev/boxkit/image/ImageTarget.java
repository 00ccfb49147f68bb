package dev.boxkit.image;

/**
 * Where {@link Image#writeTo(ImageTarget)} puts an image: an OCI image layout
 * ({@link OciLayoutTarget}), a {@code docker load} archive ({@link DockerArchiveTarget}) or a
 * registry ({@link RegistryImage}).
 */
public sealed interface ImageTarget permits OciLayoutTarget, DockerArchiveTarget, RegistryImage {}
