/**
 * Client side of the
 * <a href="https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md">OCI
 * distribution-spec v1.1</a> on {@code java.net.http}: blobs, manifests, tags, token and basic
 * auth, retries, and whole-image pull, push and copy.
 *
 * <pre>{@code
 * RegistryClient client = RegistryClient.builder()
 *     .insecureRegistry("127.0.0.1:5000")           // plain HTTP only where asked for
 *     .credentials(DockerConfigCredentials.fromDefaultLocation())
 *     .build();
 * RegistryCopy copy = RegistryCopy.using(client);
 * copy.pull(ImageReference.parse("127.0.0.1:5000/base:1"), layout, "base", Platform.host());
 * copy.push(layout, "app", ImageReference.parse("127.0.0.1:5000/app:1.0"));
 * }</pre>
 *
 * <p>Arguments and results are non-null unless documented otherwise. Every blob and manifest read
 * from a registry is verified against its digest and size; secrets are never logged, and
 * credentials go only to the registry's API host and its token service.
 */
package dev.boxkit.oci.registry;
