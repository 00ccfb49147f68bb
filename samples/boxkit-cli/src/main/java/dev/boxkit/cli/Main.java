package dev.boxkit.cli;

/** The {@code boxkit} program: exits with the status {@link BoxkitCommand#execute} returns. */
public final class Main {
  private Main() {}

  /** @param args the command line, e.g. {@code build --output oci:out:app ...} */
  public static void main(String[] args) {
    // The library logs a line per sandbox and image at INFO; a command line tool says what it
    // did itself, so only warnings reach stderr unless asked (-Dorg.slf4j.simpleLogger.defaultLogLevel=info).
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    int status = BoxkitCommand.execute(args);
    HttpSelectorThreads.end();
    System.exit(status);
  }
}
