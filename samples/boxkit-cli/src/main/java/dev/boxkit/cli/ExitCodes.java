package dev.boxkit.cli;

/** Exit statuses of {@code boxkit}, those of {@code docker run} where they overlap. */
final class ExitCodes {
  private ExitCodes() {}

  /** Success. */
  static final int OK = 0;
  /** Bad command line: unknown option, malformed value (picocli's usage status). */
  static final int USAGE = 2;
  /** BoxKit itself failed: bad image, unreadable file, sandbox setup failed. */
  static final int BOXKIT_ERROR = 125;
  /** The program exists but could not be executed. */
  static final int CANNOT_EXECUTE = 126;
  /** The program was not found. */
  static final int NOT_FOUND = 127;
}
