package dev.boxkit.oci;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A reference to an image in a registry: {@code [registry/]repository[:tag][@digest]}, with the
 * grammar of distribution-spec ("Pulling manifests": {@code <name>} and {@code <reference>}) and
 * the defaults of Docker's reference normalisation ({@code docker.io}, {@code library/},
 * {@code latest}).
 *
 * @param registry registry host with optional port, e.g. {@code docker.io}, {@code ghcr.io},
 *     {@code localhost:5000}; required
 * @param repository repository path, e.g. {@code library/alpine}; required, lowercase
 * @param tag tag, e.g. {@code 3.20}; null when only a digest is given
 * @param digest manifest digest pinning the image; null when absent
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
  /** Docker Hub's registry name in references. */
  public static final String DOCKER_HUB = "docker.io";
  /** Docker Hub's API host: {@code docker.io} does not serve the registry API itself. */
  public static final String DOCKER_HUB_API = "registry-1.docker.io";
  /** The tag assumed when a reference names neither tag nor digest. */
  public static final String DEFAULT_TAG = "latest";

  private static final Pattern COMPONENT =
      Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  // A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port.
  private static final Pattern REGISTRY = Pattern.compile(
      "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
          + "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
          + "|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?");
  private static final int MAX_NAME_LENGTH = 255;

  /**
   * @throws InvalidInputException naming {@code registry}, {@code repository} or {@code tag}
   *     when one is malformed, or {@code reference} when neither tag nor digest is given
   */
  public ImageReference {
    if (registry == null || !REGISTRY.matcher(registry).matches()) {
      throw new InvalidInputException("registry", registry, "expected host[:port]");
    }
    if (!looksLikeRegistry(registry)) {
      // Otherwise the text form would read back as a Docker Hub repository.
      throw new InvalidInputException("registry", registry,
          "needs a '.' or a ':port', or must be localhost");
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && repository != null && !repository.isEmpty()
        && repository.indexOf('/') < 0) {
      repository = "library/" + repository;
    }
    checkRepository(repository);
    if (tag != null && !TAG.matcher(tag).matches()) {
      throw new InvalidInputException("tag", tag,
          "must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    }
    if (tag == null && digest == null) {
      throw new InvalidInputException("reference", registry + "/" + repository,
          "needs a tag or a digest");
    }
  }

  /**
   * @param registry registry host[:port]
   * @param repository repository path
   * @param tag the tag
   * @return the tagged reference
   */
  public static ImageReference of(String registry, String repository, String tag) {
    return new ImageReference(registry, repository, tag, null);
  }

  /**
   * Parses a reference as {@code docker pull} does: a first path component with a '.' or ':', or
   * {@code localhost}, is a registry, otherwise the registry is {@code docker.io}; a one-component
   * repository on Docker Hub gets {@code library/}; {@code index.docker.io} means {@code
   * docker.io}; with neither tag nor digest the tag is {@code latest}.
   *
   * @param text e.g. {@code alpine}, {@code ghcr.io/org/app:1.0}, {@code app@sha256:...}
   * @throws InvalidInputException naming {@code reference}, {@code registry},
   *     {@code repository}, {@code tag} or {@code digest} for the part that is malformed
   */
  public static ImageReference parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidInputException("reference", text, "must not be empty");
    }
    String rest = text;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    String tag = null;
    int lastSlash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > lastSlash) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (tag.isEmpty()) {
        throw new InvalidInputException("tag", tag, "must not be empty (reference \"" + text + "\")");
      }
    }
    String registry = DOCKER_HUB;
    String repository = rest;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String first = rest.substring(0, slash);
      if (looksLikeRegistry(first)) {
        registry = first;
        repository = rest.substring(slash + 1);
      }
    }
    if (tag == null && digest == null) {
      tag = DEFAULT_TAG;
    }
    if (repository.isEmpty()) {
      throw new InvalidInputException("repository", repository, "is missing in \"" + text + "\"");
    }
    return new ImageReference(registry, repository, tag, digest);
  }

  /** @return the host to send registry API requests to: {@code registry-1.docker.io} for Docker Hub */
  public String apiHost() {
    return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
  }

  /** @return this reference with {@code tag} and no digest (the digest pinned another image) */
  public ImageReference withTag(String tag) {
    if (tag == null) {
      throw new InvalidInputException("tag", null, "must not be null");
    }
    return new ImageReference(registry, repository, tag, null);
  }

  /** @return this reference pinned to {@code digest}, keeping its tag for display */
  public ImageReference withDigest(Digest digest) {
    Objects.requireNonNull(digest, "digest");
    return new ImageReference(registry, repository, tag, digest);
  }

  /** @return {@code registry/repository}, e.g. {@code docker.io/library/alpine} */
  public String name() {
    return registry + "/" + repository;
  }

  /** @return the tag, or the digest as text when pinned by digest: what a manifest GET names */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /**
   * @return the short form {@code docker} prints: without {@code docker.io/} and
   *     {@code library/}, e.g. {@code alpine:latest}, {@code ghcr.io/org/app:1.0}; keeps
   *     {@code docker.io/} where the repository's first component would read as a registry
   */
  public String familiarString() {
    String repo = repository;
    String name;
    String first = repo.substring(0, Math.max(repo.indexOf('/'), 0));
    if (registry.equals(DOCKER_HUB) && !looksLikeRegistry(first)) {
      name = repo.startsWith("library/") && repo.indexOf('/', 8) < 0 ? repo.substring(8) : repo;
    } else {
      name = registry + "/" + repo;
    }
    return name + suffix();
  }

  /** @return the canonical form {@code registry/repository[:tag][@digest]}, which {@link #parse} reads back */
  @Override
  public String toString() {
    return registry + "/" + repository + suffix();
  }

  private String suffix() {
    return (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }

  private static boolean looksLikeRegistry(String first) {
    return first.contains(".") || first.contains(":") || first.equals("localhost");
  }

  private static void checkRepository(String repository) {
    if (repository == null || repository.isEmpty()) {
      throw new InvalidInputException("repository", repository, "is required");
    }
    if (repository.length() > MAX_NAME_LENGTH) {
      throw new InvalidInputException("repository", repository,
          "longer than " + MAX_NAME_LENGTH + " characters");
    }
    for (String component : repository.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new InvalidInputException("repository", repository,
            "path component \"" + component + "\" must match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*"
                + (component.equals(component.toLowerCase(java.util.Locale.ROOT)) ? ""
                    : " (repository names are lowercase)"));
      }
    }
  }
}
