package dev.boxkit.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class whose fields and parameters annotated {@link SandboxImage} or {@link
 * Sandboxed} are filled by {@link BoxKitExtension}: an image built once per class, and a fresh
 * {@link TestSandbox} per test, closed after it whether the test passed or failed.
 *
 * <p>When the host cannot run sandboxes (no provider on the class path, or user namespaces
 * disabled) the class is skipped, with the provider's reason as the skip reason; set the JUnit
 * configuration parameter {@code boxkit.sandbox.required=true} to make that a failure instead.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(BoxKitExtension.class)
public @interface BoxKitTest {}
