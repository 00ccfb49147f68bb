package dev.boxkit.oci;

/**
 * A JSON document (manifest, index, config, {@code oci-layout}, ...) is not valid JSON, lacks a
 * required field, or has the wrong {@code schemaVersion} or {@code mediaType}.
 */
public class MalformedContentException extends OciException {
  private static final long serialVersionUID = 1L;

  private final String what;

  /**
   * @param what the document, e.g. {@code "manifest sha256:..."} or {@code "/tmp/l/index.json"}
   * @param reason what is wrong with it
   * @param cause the parser's exception, may be null
   */
  public MalformedContentException(String what, String reason, Throwable cause) {
    super("malformed " + what + ": " + reason, cause);
    this.what = what;
  }

  /** @return the document that is malformed, as named by the reader */
  public String what() {
    return what;
  }
}
