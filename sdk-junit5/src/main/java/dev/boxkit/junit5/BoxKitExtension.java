package dev.boxkit.junit5;

import dev.boxkit.image.BoxKitDirs;
import dev.boxkit.image.Image;
import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxUnavailableException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * The JUnit 5 extension behind {@link BoxKitTest}: fills {@link SandboxImage} and {@link
 * Sandboxed} fields and parameters, skips classes where no sandbox can run, and adds what the
 * sandboxes ran to the report of a failed test — as a {@link SandboxReport} suppressed by the
 * failure and as a report entry keyed {@value #REPORT_KEY}.
 *
 * <p>Configuration parameters (e.g. in {@code junit-platform.properties}):
 * <ul>
 *   <li>{@value #CACHE_DIR_PARAMETER}: where image blobs ({@code store/}) and unpacked trees
 *       ({@code rootfs/}) are kept; default {@link BoxKitDirs#cacheRoot()}.
 *   <li>{@value #TEMP_DIR_PARAMETER}: where each test's scratch directory is made; default
 *       {@code java.io.tmpdir}.
 *   <li>{@value #REQUIRED_PARAMETER}: {@code true} fails, rather than skips, a class when the
 *       host cannot run sandboxes; default false.
 * </ul>
 *
 * <p>Safe under {@code junit.jupiter.execution.parallel.enabled}: images are built once per JVM
 * for each distinct definition (concurrent requests wait for the one build), and each test gets
 * its own sandboxes.
 */
public final class BoxKitExtension implements ExecutionCondition, BeforeAllCallback,
    BeforeEachCallback, AfterEachCallback, ParameterResolver, TestExecutionExceptionHandler,
    LifecycleMethodExecutionExceptionHandler {
  /** Configuration parameter: the cache directory. */
  public static final String CACHE_DIR_PARAMETER = "boxkit.cacheDir";
  /** Configuration parameter: the parent of the tests' scratch directories. */
  public static final String TEMP_DIR_PARAMETER = "boxkit.tempDir";
  /** Configuration parameter: fail instead of skipping where no sandbox can run. */
  public static final String REQUIRED_PARAMETER = "boxkit.sandbox.required";
  /** Key of the report entry published for each sandbox of a failed test. */
  public static final String REPORT_KEY = "boxkit.sandbox";

  private static final Namespace NS = Namespace.create(BoxKitExtension.class);
  private static final String SANDBOXES = "sandboxes";
  /** A distinct key: a test's store would otherwise find its class's value through its parent. */
  private static final String CLASS_SANDBOXES = "class-sandboxes";

  /** Creates the extension (JUnit does, through {@link BoxKitTest}). */
  public BoxKitExtension() {}

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isPresent()) {
      return ConditionEvaluationResult.enabled("decided for the class");
    }
    boolean required = context.getConfigurationParameter(REQUIRED_PARAMETER, Boolean::parseBoolean).orElse(false);
    return decide(unavailableReason(), required);
  }

  /** @return why no sandbox can run here, empty when one can */
  static Optional<String> unavailableReason() {
    try {
      Sandbox.provider();
      return Optional.empty();
    } catch (SandboxUnavailableException e) {
      return Optional.of(e.getMessage());
    }
  }

  static ConditionEvaluationResult decide(Optional<String> unavailable, boolean required) {
    if (unavailable.isEmpty()) {
      return ConditionEvaluationResult.enabled("sandboxes can run on this host");
    }
    String why = "BoxKit cannot run sandboxes on this host: " + unavailable.get();
    if (required) {
      throw new ExtensionConfigurationException(why + " (and " + REQUIRED_PARAMETER + "=true)");
    }
    return ConditionEvaluationResult.disabled(why);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    for (Field f : fields(testClass, SandboxImage.class)) {
      if (Modifier.isStatic(f.getModifiers())) {
        set(f, null, image(context, f.getAnnotation(SandboxImage.class), f.getType(), f.toString()).image());
      }
    }
    // Static fields: one sandbox for the class, closed (services and all) after its last test.
    for (Field f : fields(testClass, Sandboxed.class)) {
      if (Modifier.isStatic(f.getModifiers())) {
        checkType(f.getType(), TestSandbox.class, f.toString());
        set(f, null, sandbox(context, f.getAnnotation(Sandboxed.class), true));
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (Field f : fields(instance.getClass(), SandboxImage.class)) {
        if (!Modifier.isStatic(f.getModifiers())) {
          set(f, instance, image(context, f.getAnnotation(SandboxImage.class), f.getType(), f.toString()).image());
        }
      }
      for (Field f : fields(instance.getClass(), Sandboxed.class)) {
        if (!Modifier.isStatic(f.getModifiers())) {
          checkType(f.getType(), TestSandbox.class, f.toString());
          set(f, instance, sandbox(context, f.getAnnotation(Sandboxed.class), false));
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
    return p.isAnnotated(SandboxImage.class) || p.isAnnotated(Sandboxed.class);
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext context) {
    Optional<SandboxImage> image = p.findAnnotation(SandboxImage.class);
    if (image.isPresent()) {
      return image(context, image.get(), p.getParameter().getType(), p.getParameter().toString()).image();
    }
    checkType(p.getParameter().getType(), TestSandbox.class, p.getParameter().toString());
    if (context.getTestMethod().isEmpty() && context.getTestClass().isEmpty()) {
      throw new ParameterResolutionException("@Sandboxed " + p.getParameter() + " of "
          + p.getDeclaringExecutable() + ": no test class or test method to scope the sandbox to");
    }
    // In @BeforeAll/@AfterAll (or a constructor of a PER_CLASS instance) the context is the class's.
    return sandbox(context, p.findAnnotation(Sandboxed.class).orElseThrow(), context.getTestMethod().isEmpty());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      for (TestSandbox s : sandboxes(context).all()) {
        context.publishReportEntry(REPORT_KEY, s.report());
      }
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    List<TestSandbox> all = new ArrayList<>(sandboxes(context).all());
    Sandboxes shared = context.getStore(NS).get(CLASS_SANDBOXES, Sandboxes.class);
    if (shared != null) {
      all.addAll(shared.all());
    }
    for (TestSandbox s : all) {
      // What the failure itself prints (a ServiceNotReadyException's report) is not repeated.
      failure.addSuppressed(new SandboxReport(s.report(failure)));
    }
    throw failure;
  }

  /** A failing {@code @BeforeAll} (a class-scoped service never ready) gets the report too. */
  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    handleTestExecutionException(context, failure);
  }

  /** A failing {@code @BeforeEach} (e.g. a service that is never ready) gets the report too. */
  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    handleTestExecutionException(context, failure);
  }

  @Override
  public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    handleTestExecutionException(context, failure);
  }

  private static TestImages.Built image(ExtensionContext context, SandboxImage a, Class<?> type, String where) {
    checkType(type, Image.class, where);
    Class<?> testClass = context.getRequiredTestClass();
    String key = TestImages.key(a, testClass);
    Path cacheDir = context.getConfigurationParameter(CACHE_DIR_PARAMETER).map(Path::of)
        .orElseGet(BoxKitDirs::cacheRoot).toAbsolutePath().normalize();
    // The root store computes each value once, and other threads asking meanwhile wait for it.
    return context.getRoot().getStore(NS).getOrComputeIfAbsent(key + " in " + cacheDir,
        k -> TestImages.build(a, testClass, cacheDir), TestImages.Built.class);
  }

  private static TestSandbox sandbox(ExtensionContext context, Sandboxed a, boolean classScoped) {
    Sandboxes all = classScoped
        ? context.getStore(NS).getOrComputeIfAbsent(CLASS_SANDBOXES, k -> new Sandboxes(), Sandboxes.class)
        : sandboxes(context);
    synchronized (all) {
      TestSandbox existing = all.byAnnotation.get(a);
      if (existing != null) {
        return existing;
      }
      Path tempRoot = context.getConfigurationParameter(TEMP_DIR_PARAMETER).map(Path::of)
          .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"))).toAbsolutePath().normalize();
      Optional<Field> imageField = imageField(context, a.image(), classScoped);
      TestSandbox s;
      Duration timeout = Duration.ofSeconds(a.execTimeoutSeconds());
      String scope = classScoped ? "(class " + context.getRequiredTestClass().getSimpleName() + ") " : "";
      if (imageField.isEmpty()) {
        s = new TestSandbox(scope + "on the host's / (read-only)", Rootfs.hostReadOnly(),
            Map.of("PATH", dev.boxkit.sandbox.SandboxSpec.DEFAULT_PATH), "/", a.network(), timeout, tempRoot);
      } else {
        Field f = imageField.get();
        TestImages.Built built = image(context, f.getAnnotation(SandboxImage.class), f.getType(), f.toString());
        ContainerConfig c = built.image().config().config();
        Map<String, String> env = new LinkedHashMap<>(c.envMap());
        env.putIfAbsent("PATH", dev.boxkit.sandbox.SandboxSpec.DEFAULT_PATH);
        s = new TestSandbox(scope + "from image " + built.image().digest() + " (" + f.getName() + ")",
            Rootfs.directory(built.rootfs()), env, c.workingDir() != null ? c.workingDir() : "/",
            a.network(), timeout, tempRoot);
      }
      s.shareServicesThrough(context.getRoot().getStore(NS)
          .getOrComputeIfAbsent(SharedServices.class, k -> new SharedServices(), SharedServices.class));
      all.byAnnotation.put(a, s);
      return s;
    }
  }

  private static Optional<Field> imageField(ExtensionContext context, String name, boolean classScoped) {
    List<Field> found = new ArrayList<>();
    // Only the annotation matters (the image is built from it), so a class-scoped sandbox may
    // name an instance field too; before any instance exists the class is searched.
    List<Class<?>> classes = classScoped ? List.of(context.getRequiredTestClass())
        : context.getRequiredTestInstances().getAllInstances().stream().<Class<?>>map(Object::getClass).toList();
    for (Class<?> c : classes) {
      for (Field f : fields(c, SandboxImage.class)) {
        if (name.isEmpty() || f.getName().equals(name)) {
          found.add(f);
        }
      }
    }
    if (found.size() > 1) {
      throw new ExtensionConfigurationException(name.isEmpty()
          ? "the test class has several @SandboxImage fields " + found + ": name one with @Sandboxed(image = ...)"
          : "several @SandboxImage fields are named " + name + ": " + found);
    }
    if (found.isEmpty() && !name.isEmpty()) {
      throw new ExtensionConfigurationException("@Sandboxed(image = \"" + name
          + "\"): no @SandboxImage field of that name in " + context.getRequiredTestClass());
    }
    return found.stream().findFirst();
  }

  private static Sandboxes sandboxes(ExtensionContext context) {
    return context.getStore(NS).getOrComputeIfAbsent(SANDBOXES, k -> new Sandboxes(), Sandboxes.class);
  }

  private static List<Field> fields(Class<?> c, Class<? extends java.lang.annotation.Annotation> a) {
    return AnnotationSupport.findAnnotatedFields(c, a, f -> true, HierarchyTraversalMode.TOP_DOWN);
  }

  private static void checkType(Class<?> declared, Class<?> wanted, String where) {
    if (!declared.isAssignableFrom(wanted)) {
      throw new ExtensionConfigurationException(where + " is a " + declared.getName()
          + "; BoxKit fills it with a " + wanted.getName());
    }
  }

  private static void set(Field f, Object instance, Object value) {
    try {
      f.setAccessible(true); // test classes and their fields are usually package-private
      f.set(instance, value);
    } catch (IllegalAccessException | RuntimeException e) {
      throw new ExtensionConfigurationException("cannot set " + f, e);
    }
  }

  /** One test's sandboxes; JUnit closes them when the test's context ends, pass or fail. */
  private static final class Sandboxes implements ExtensionContext.Store.CloseableResource {
    final Map<Sandboxed, TestSandbox> byAnnotation = new LinkedHashMap<>();

    synchronized List<TestSandbox> all() {
      return new ArrayList<>(byAnnotation.values());
    }

    @Override
    public void close() {
      List<TestSandbox> list = all();
      RuntimeException first = null;
      for (int i = list.size() - 1; i >= 0; i--) {
        try {
          list.get(i).close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }
}
