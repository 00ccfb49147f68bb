package dev.boxkit.cli;

/** The {@code boxkit} program: exits with the status {@link BoxkitCommand#execute} returns. */
public final class Main {
  private Main() {}

  /** @param args the command line, e.g. {@code build --output oci:out:app ...} */
  public static void main(String[] args) {
    System.exit(BoxkitCommand.execute(args));
  }
}
