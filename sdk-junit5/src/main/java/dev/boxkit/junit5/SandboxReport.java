package dev.boxkit.junit5;

import dev.boxkit.sandbox.SandboxException;

/**
 * What a {@link TestSandbox} ran before its test failed — each program's spec, exit status and
 * the tail of its stdout and stderr — added by {@link BoxKitExtension} as a suppressed exception
 * to the test's failure, so that it shows in the test report next to the assertion. Never thrown
 * on its own.
 */
public final class SandboxReport extends SandboxException {
  private static final long serialVersionUID = 1L;

  SandboxReport(String transcript) {
    super(transcript);
  }

  /** No stack trace: the report is data, not a failure site. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
