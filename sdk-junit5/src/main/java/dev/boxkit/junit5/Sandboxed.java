package dev.boxkit.junit5;

import dev.boxkit.sandbox.NetworkMode;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A {@link TestSandbox} field or parameter: a fresh one per test, closed after the test (every
 * process in it killed, its scratch directory deleted) even when the test fails. Within one test,
 * fields and parameters with equal attributes get the same sandbox.
 *
 * <p>Instance fields are refilled before each test; with {@code @TestInstance(PER_CLASS)} and
 * concurrent tests, use parameters instead, since the instance is shared.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Sandboxed {

  /**
   * Name of the {@link SandboxImage} field of the test class to use as the root filesystem.
   * Default: the class's only {@code @SandboxImage} field; when there is none, the host's
   * {@code /}, read-only.
   */
  String image() default "";

  /**
   * The sandbox's network. {@link NetworkMode#NONE} (default) gives it a loopback of its own,
   * which the test cannot reach. A service that the test talks to over TCP needs {@link
   * NetworkMode#HOST}: it then shares the host's network, so it can also reach it, and listens
   * on ports other host programs see.
   */
  NetworkMode network() default NetworkMode.NONE;

  /** Wall-clock limit of each {@link TestSandbox#exec} in seconds; default 60. */
  long execTimeoutSeconds() default 60;
}
