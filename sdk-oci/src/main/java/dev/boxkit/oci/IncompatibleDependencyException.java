package dev.boxkit.oci;

/**
 * A library BoxKit needs is on the class path in a version older than BoxKit supports, e.g.
 * jackson-databind 2.17 where 2.18 is the minimum. Thrown on first use of what needs it, naming
 * the artifact, the version found and the minimum; the fix is in the application's dependency
 * management (a Jackson BOM import, a Spring Boot property).
 */
public class IncompatibleDependencyException extends OciException {
  private static final long serialVersionUID = 1L;

  private final String artifact;
  private final String found;
  private final String minimum;

  /**
   * @param artifact {@code groupId:artifactId} of the library, e.g. {@code
   *     com.fasterxml.jackson.core:jackson-databind}
   * @param found the version on the class path
   * @param minimum the oldest version BoxKit supports
   * @param why what BoxKit relies on that older versions lack
   */
  public IncompatibleDependencyException(String artifact, String found, String minimum, String why) {
    super(artifact + " " + found + " is on the class path, but BoxKit needs " + minimum
        + " or later (" + why + "); set " + artifact + " to " + minimum + " or later in the"
        + " application's dependency management");
    this.artifact = artifact;
    this.found = found;
    this.minimum = minimum;
  }

  /** @return {@code groupId:artifactId} of the library */
  public String artifact() {
    return artifact;
  }

  /** @return the version found on the class path */
  public String found() {
    return found;
  }

  /** @return the oldest version BoxKit supports */
  public String minimum() {
    return minimum;
  }
}
