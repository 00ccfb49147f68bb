package dev.boxkit.docs;

import dev.boxkit.image.BuildEvent;
import dev.boxkit.image.DockerArchiveTarget;
import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.MultiPlatformImage;
import dev.boxkit.image.OciLayoutSource;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Snippets of building-images.md. */
final class SnippetsImages {
  private SnippetsImages() {}

  static Image layers(Path appDir, Path config) {
    // tag::layers[]
    Image image = Image.builder()
        .from(Image.scratch())                                     // no base image: the default
        .layer(Layer.fromExecutables(Path.of("/bin/sh")))          // a host program and its libraries
        .layer(Layer.fromDirectory(appDir, "/app"))                // a host directory tree
        .layer(Layer.fromFile(config, "/etc/app/app.conf"))        // one host file
        .layer(Layer.of("generated", b -> b                        // entries made in code
            .addFile("/app/run.sh", "#!/bin/sh\nexec /app/bin/server\n".getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(0755)))
            .addDirectory("/data")
            .addSymlink("/usr/local/bin/run", "/app/run.sh")))
        .entrypoint("/app/run.sh")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .user("1000:1000")
        .workingDir("/data")
        .exposedPort(8080)
        .label("org.opencontainers.image.source", "https://example.com/app")
        .build();
    // end::layers[]
    return image;
  }

  static Image splitLayers() {
    // tag::split-layers[]
    Image jdk = Image.builder()
        .layers(Layer.fromDirectorySplit(Path.of("/opt/jdk"), "/opt/jdk", 4))  // up to 4 layers
        .entrypoint("/opt/jdk/bin/java")
        .build();
    // end::split-layers[]
    return jdk;
  }

  static Image onBase(Path layout) {
    // tag::base[]
    Image app = Image.builder()
        .from(OciLayoutSource.of(layout, "base:1"))   // an image in an OCI layout, e.g. from skopeo copy
        .platform(Platform.LINUX_AMD64)              // picks the entry when the tag names an index
        .layer(Layer.fromDirectory(Path.of("build/app"), "/app"))
        .build();
    // end::base[]
    return app;
  }

  static boolean reproducible(Path appDir) {
    // tag::reproducible[]
    Image first = Image.builder().layer(Layer.fromDirectory(appDir, "/app")).build();
    Image again = Image.builder().layer(Layer.fromDirectory(appDir, "/app")).build();
    boolean same = first.digest().equals(again.digest());    // true: same inputs, same digests

    Image dated = Image.builder()
        .layer(Layer.fromDirectory(appDir, "/app"))
        .created(Instant.parse("2026-01-01T00:00:00Z"))      // an explicit time, still reproducible
        .build();
    // end::reproducible[]
    return same && !dated.digest().equals(first.digest());
  }

  static Image compression(Path appDir) {
    // tag::compression[]
    Image forEveryone = Image.builder()                      // gzip: the default, read everywhere
        .layer(Layer.fromDirectory(appDir, "/app"))
        .build();
    Image faster = Image.builder()
        .layer(Layer.fromDirectory(appDir, "/app"))
        .compression(Compression.ZSTD)                       // tar+zstd: containerd 1.5+, Podman, Docker 23+
        .compressionThreads(4)                               // default: all cores; never changes digests
        .build();
    // end::compression[]
    return forEveryone.layers().size() == faster.layers().size() ? faster : forEveryone;
  }

  static void targets(Image image, Path out) {
    // tag::targets[]
    image.writeTo(OciLayoutTarget.of(out.resolve("layout"), "app:1.0", "app:latest")); // OCI image layout
    image.writeTo(DockerArchiveTarget.of(out.resolve("app.tar"), "example.com/app:1.0")); // docker load
    image.writeTo(OciLayoutTarget.of(out.resolve("layout")), event -> {
      if (event instanceof BuildEvent.BlobWritten b) {
        System.out.println(b.outcome() + " " + b.digest()); // WRITTEN, PRESENT or MOUNTED
      }
    });
    // end::targets[]
  }

  static MultiPlatformImage multiPlatform(Path out) {
    // tag::multi-platform[]
    Image amd64 = Image.builder()
        .platform(Platform.LINUX_AMD64)
        .layer(Layer.fromDirectory(Path.of("dist/linux-amd64"), "/app"))
        .entrypoint("/app/server")
        .build();
    Image arm64 = Image.builder()
        .platform(Platform.LINUX_ARM64)
        .layer(Layer.fromDirectory(Path.of("dist/linux-arm64"), "/app"))
        .entrypoint("/app/server")
        .build();
    MultiPlatformImage both = MultiPlatformImage.of(List.of(amd64, arm64));
    both.writeTo(OciLayoutTarget.of(out, "app:1.0"));      // the tag names the image index
    // end::multi-platform[]
    return both;
  }

  static Image load(Path layout) {
    // tag::load[]
    Image image = Image.load(OciLayoutSource.of(layout, "app:1.0"), Platform.LINUX_ARM64);
    System.out.println(image.digest() + " " + image.platform() + " " + image.layers().size() + " layers");
    // end::load[]
    return image;
  }
}
