package dev.boxkit.cli;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.registry.Credentials;
import dev.boxkit.oci.registry.CredentialsProvider;
import dev.boxkit.oci.registry.DockerConfigCredentials;
import dev.boxkit.oci.registry.RegistryClient;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How to talk to the registries a command names with {@code docker://}, with skopeo's flags:
 * {@code --tls-verify=false} (plain HTTP to them), {@code --creds USER:PASS} and
 * {@code --authfile FILE}. Without them: TLS with the JVM's trust store and credentials from
 * skopeo's {@code auth.json}, then Docker's {@code config.json}, else anonymous.
 */
final class RegistryOptions {
  @Option(names = "--tls-verify", paramLabel = "BOOL", arity = "0..1", defaultValue = "true",
      fallbackValue = "true",
      description = "Use TLS for the registries named (default true); false speaks plain HTTP to them.")
  boolean tlsVerify = true;

  @Option(names = "--creds", paramLabel = "USER:PASS",
      description = "Credentials for the registries named, over those of the auth files.")
  String creds;

  @Option(names = "--authfile", paramLabel = "FILE",
      description = "Credentials file (Docker's config.json format) instead of the default ones.")
  Path authFile;

  /**
   * @param locations the command's {@link SourceRef}s and {@link TargetRef}s (nulls ignored)
   * @return a client for the registries among them
   */
  RegistryClient clientFor(Object... locations) {
    List<ImageReference> refs = new java.util.ArrayList<>();
    for (Object l : locations) {
      if (l instanceof SourceRef.Registry r) {
        refs.add(r.reference());
      } else if (l instanceof TargetRef.Registry r) {
        refs.add(r.reference());
      }
    }
    return client(refs);
  }

  /**
   * @param references the registry references the command uses
   * @return a client for them
   * @throws dev.boxkit.oci.InvalidInputException for malformed {@code --creds} (without echoing
   *     the password) or an unreadable {@code --authfile}
   */
  RegistryClient client(List<ImageReference> references) {
    RegistryClient.Builder b = RegistryClient.builder();
    CredentialsProvider files = authFile != null ? DockerConfigCredentials.of(authFile)
        : DockerConfigCredentials.fromDefaultLocations();
    CredentialsProvider provider = files;
    if (creds != null) {
      Credentials c = Credentials.parse(creds);
      List<String> registries = references.stream().map(ImageReference::registry).distinct().toList();
      provider = r -> registries.contains(r) ? java.util.Optional.of(c) : files.find(r);
    }
    b.credentials(provider);
    if (!tlsVerify) {
      references.stream().map(ImageReference::registry).distinct().forEach(b::insecureRegistry);
    }
    return b.build();
  }
}
