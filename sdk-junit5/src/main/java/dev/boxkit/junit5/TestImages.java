package dev.boxkit.junit5;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.RootfsCache;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.commons.support.ReflectionSupport;

/** Builds the image a {@link SandboxImage} describes and unpacks it into the rootfs cache. */
final class TestImages {
  private TestImages() {}

  /**
   * An image and its unpacked, read-only tree.
   *
   * @param unpacked whether this build unpacked the tree (false: it was in the cache)
   */
  record Built(Image image, Path rootfs, boolean unpacked) {}

  /** The empty directories a read-only root needs for the mounts of a {@link TestSandbox}. */
  static final Layer MOUNT_POINTS = Layer.of("mount points /proc /dev /tmp",
      b -> b.addDirectory("/proc").addDirectory("/dev").addDirectory("/tmp"));

  /** @return what identifies the image a given annotation describes, within one JVM */
  static String key(SandboxImage a, Class<?> testClass) {
    check(a);
    if (!a.factory().isEmpty()) {
      return "factory " + factory(a.factory(), testClass).toGenericString();
    }
    return "attributes " + Arrays.toString(a.executables()) + " " + Arrays.toString(a.files())
        + " PATH=" + a.path();
  }

  private static void check(SandboxImage a) {
    boolean attributes = a.executables().length > 0 || a.files().length > 0;
    if (!a.factory().isEmpty() && attributes) {
      throw new ExtensionConfigurationException("@SandboxImage(factory = \"" + a.factory()
          + "\") also lists executables or files: use one or the other");
    }
    if (a.factory().isEmpty() && !attributes) {
      throw new ExtensionConfigurationException("@SandboxImage needs a factory, executables or files");
    }
  }

  static Built build(SandboxImage a, Class<?> testClass, Path cacheDir) {
    check(a);
    Path store = cacheDir.resolve("store");
    Image image;
    if (!a.factory().isEmpty()) {
      Method m = factory(a.factory(), testClass);
      Object made = ReflectionSupport.invokeMethod(m, null);
      if (made instanceof ImageBuilder b) {
        image = b.layer(MOUNT_POINTS).cacheDir(store).build();
      } else if (made instanceof Image i) {
        image = i;
      } else {
        throw new ExtensionConfigurationException("@SandboxImage factory " + m
            + " returned " + made + ", not an ImageBuilder or Image");
      }
    } else {
      ImageBuilder b = Image.builder().cacheDir(store).env("PATH", a.path());
      if (a.executables().length > 0) {
        b.layer(Layer.fromExecutables(Arrays.stream(a.executables()).map(Path::of).toArray(Path[]::new)));
      }
      if (a.files().length > 0) {
        List<String[]> files = new ArrayList<>();
        for (String f : a.files()) {
          int colon = f.indexOf(':');
          files.add(colon < 0 ? new String[] {f, f} : new String[] {f.substring(0, colon), f.substring(colon + 1)});
        }
        b.layer(Layer.of("files " + Arrays.toString(a.files()), lb -> files.forEach(
            f -> lb.addFile(Path.of(f[0]), f[1]))));
      }
      image = b.layer(MOUNT_POINTS).build();
    }
    CachedRootfs tree = image.rootfs(RootfsCache.open(cacheDir.resolve("rootfs")));
    return new Built(image, tree.rootfs(), tree.unpacked());
  }

  /** Finds a static, parameterless factory method named {@code "name"} or {@code "Class#name"}. */
  static Method factory(String spec, Class<?> testClass) {
    int hash = spec.indexOf('#');
    List<Class<?>> owners = new ArrayList<>();
    String name = spec;
    if (hash >= 0) {
      name = spec.substring(hash + 1);
      Optional<Class<?>> c = ReflectionSupport.tryToLoadClass(spec.substring(0, hash)).toOptional();
      owners.add(c.orElseThrow(() -> new ExtensionConfigurationException(
          "@SandboxImage factory " + spec + ": no class " + spec.substring(0, hash))));
    } else {
      for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
        owners.add(c);
      }
    }
    for (Class<?> owner : owners) {
      Optional<Method> m = ReflectionSupport.findMethod(owner, name);
      if (m.isPresent()) {
        if (!Modifier.isStatic(m.get().getModifiers())) {
          throw new ExtensionConfigurationException("@SandboxImage factory " + m.get() + " must be static");
        }
        return m.get();
      }
    }
    throw new ExtensionConfigurationException("@SandboxImage factory \"" + spec
        + "\": no parameterless method of that name in " + owners);
  }
}
