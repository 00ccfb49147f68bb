/**
 * BoxKit's JUnit 5 extension: sandboxes and images as test parameters. JUnit instantiates the
 * extension reflectively, so its package is opened to JUnit.
 */
module dev.boxkit.junit5 {
  requires transitive dev.boxkit.api;
  requires transitive org.junit.jupiter.api;
  requires org.junit.platform.commons;
  requires java.net.http;

  exports dev.boxkit.junit5;

  opens dev.boxkit.junit5 to org.junit.platform.commons;
}
