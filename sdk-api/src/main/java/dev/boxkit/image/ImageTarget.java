package dev.boxkit.image;

/**
 * Where {@link Image#writeTo(ImageTarget)} puts an image: an OCI image layout
 * ({@link OciLayoutTarget}) or a {@code docker load} archive ({@link DockerArchiveTarget}).
 */
public sealed interface ImageTarget permits OciLayoutTarget, DockerArchiveTarget {}
