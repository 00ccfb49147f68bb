package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.boxkit.image.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Images are cached on disk by digest; misdeclared fields fail with a message naming them. */
class ImageCacheAndConfigurationTest {

  @SandboxImage(executables = "/bin/sh", files = "/etc/passwd:/data/passwd")
  private static Image annotated;

  private static SandboxImage annotation() throws NoSuchFieldException {
    return ImageCacheAndConfigurationTest.class.getDeclaredField("annotated").getAnnotation(SandboxImage.class);
  }

  @Test
  void aSecondBuildReusesTheUnpackedTree(@TempDir Path cache) throws Exception {
    TestImages.Built first = TestImages.build(annotation(), getClass(), cache);
    TestImages.Built again = TestImages.build(annotation(), getClass(), cache);
    assertTrue(first.unpacked());
    assertFalse(again.unpacked(), "a later build (or a later test run) unpacks nothing");
    assertEquals(first.image().digest(), again.image().digest());
    assertEquals(first.rootfs(), again.rootfs());
    assertEquals(Files.readString(Path.of("/etc/passwd")), Files.readString(first.rootfs().resolve("data/passwd")));
    assertTrue(Files.isDirectory(first.rootfs().resolve("proc")));
  }

  private static Map<String, TestExecutionResult> run(Class<?> fixture) {
    Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture))
        .configurationParameter(BoxKitExtension.CACHE_DIR_PARAMETER, Path.of("target", "boxkit-cache").toAbsolutePath().toString())
        .build(), new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            results.put(id.getDisplayName(), result);
          }
        });
    return results;
  }

  private static String failure(Map<String, TestExecutionResult> results, String name) {
    TestExecutionResult r = results.get(name);
    assertTrue(r != null, name + " not in " + results);
    assertEquals(TestExecutionResult.Status.FAILED, r.getStatus(), results.toString());
    Throwable t = r.getThrowable().orElseThrow();
    // JUnit wraps what a parameter resolver throws.
    assertTrue(t instanceof ExtensionConfigurationException || t instanceof ParameterResolutionException, t.toString());
    return t.getMessage();
  }

  @Test
  void misdeclaredFieldsFailWithTheirName() {
    String both = failure(run(FactoryAndAttributes.class), "ImageCacheAndConfigurationTest$FactoryAndAttributes");
    assertTrue(both.contains("use one or the other"), both);
    String missing = failure(run(MissingFactory.class), "ImageCacheAndConfigurationTest$MissingFactory");
    assertTrue(missing.contains("\"nope\": no parameterless method"), missing);
    // A static @Sandboxed field is a class-scoped sandbox now (ClassScopedServiceTest); its type is checked too.
    String staticWrongType = failure(run(StaticSandbox.class), "ImageCacheAndConfigurationTest$StaticSandbox");
    assertTrue(staticWrongType.contains("StaticSandbox.box is a java.lang.String"), staticWrongType);
    String wrongType = failure(run(WrongType.class), "isAString()");
    assertTrue(wrongType.contains("WrongType.box is a java.lang.String"), wrongType);
    String twoImages = failure(run(TwoImages.class), "ambiguous(TestSandbox)");
    assertTrue(twoImages.contains("name one with @Sandboxed(image = ...)"), twoImages);
  }

  @BoxKitTest
  static class FactoryAndAttributes {
    @SandboxImage(factory = "x", executables = "/bin/sh")
    static Image image;

    @Test
    void never() {}
  }

  @BoxKitTest
  static class MissingFactory {
    @SandboxImage(factory = "nope")
    static Image image;

    @Test
    void never() {}
  }

  @BoxKitTest
  static class StaticSandbox {
    @Sandboxed
    static String box;

    @Test
    void never() {}
  }

  @BoxKitTest
  static class WrongType {
    @Sandboxed
    String box;

    @Test
    void isAString() {}
  }

  @BoxKitTest
  static class TwoImages {
    @SandboxImage(executables = "/bin/sh")
    Image one;

    @SandboxImage(executables = "/bin/cat")
    Image two;

    @Test
    void ambiguous(@Sandboxed TestSandbox box) {}
  }
}
