package dev.boxkit.docs;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.RegistryImage;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.registry.ContentSink;
import dev.boxkit.oci.registry.ContentSource;
import dev.boxkit.oci.registry.DockerConfigCredentials;
import dev.boxkit.oci.registry.RegistryClient;
import dev.boxkit.oci.registry.RegistryCopy;
import dev.boxkit.oci.registry.RegistryException;
import dev.boxkit.oci.registry.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Snippets of registry.md. */
final class SnippetsRegistry {
  private SnippetsRegistry() {}

  static Image buildAndPush() {
    // tag::registry-build[]
    Image app = Image.builder()
        .from("debian:12")                                         // pulled, for the host's platform
        .layer(Layer.fromDirectory(Path.of("build/app"), "/app"))
        .entrypoint("/app/run")
        .build();
    app.writeTo(RegistryImage.of("registry.example.com/team/app:1.0")); // blobs, manifest, then tag
    // end::registry-build[]
    return app;
  }

  static RegistryClient client() {
    // tag::registry-client[]
    RegistryClient client = RegistryClient.builder()
        .credentials(DockerConfigCredentials.fromDefaultLocations()) // the default
        .insecureRegistry("127.0.0.1:5000")                        // plain HTTP only where asked for
        .caCertificates(Path.of("/etc/ssl/private-ca.pem"))        // a private CA
        .retryPolicy(RetryPolicy.of(5, Duration.ofSeconds(2)))    // default: 3 tries, 1 s then 3 s
        .build();
    Image base = Image.builder()
        .from(RegistryImage.of("127.0.0.1:5000/base:1", client))
        .build();
    // end::registry-client[]
    return base == null ? null : client;
  }

  static void copy(RegistryClient client) {
    // tag::registry-copy[]
    RegistryCopy copy = RegistryCopy.using(client);
    OciLayout layout = OciLayout.create(Path.of("base-layout"));
    copy.pull(ImageReference.parse("127.0.0.1:5000/base:1"), layout, "base", Platform.host());
    copy.push(layout, "base", ImageReference.parse("127.0.0.1:5000/mirror/base:1"));
    try {
      copy.copy(ImageReference.parse("127.0.0.1:5000/app:1.0"),
          ImageReference.parse("127.0.0.1:5000/app:stable"), null);  // null: the whole index
    } catch (RegistryException e) {
      System.out.println(e.status() + " " + e.errors() + (e.isTemporary() ? " (try again later)" : ""));
    }
    // end::registry-copy[]
  }

  static void transports(RegistryClient client) {
    // tag::registry-transports[]
    RegistryCopy copy = RegistryCopy.using(client);
    copy.copy(ContentSource.dockerArchive(Path.of("app.tar")),                  // docker save output
        ContentSink.registry(client, ImageReference.parse("127.0.0.1:5000/app:1.0")), null);
    copy.copy(ContentSource.registry(client, ImageReference.parse("127.0.0.1:5000/app:1.0")),
        ContentSink.dockerArchive(Path.of("app-amd64.tar"), List.of(ImageReference.parse("app:1.0"))),
        Platform.LINUX_AMD64);                                                   // docker load input
    // end::registry-transports[]
  }
}
