package dev.boxkit.image;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.elf.ExecutableClosure;
import dev.boxkit.oci.layer.LayerBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What one image layer holds, as a recipe: the layer's tar is built (reproducibly, see
 * {@link LayerBuilder}) when the image is built, not when the {@code Layer} is made. A layer is
 * an immutable value and may be used in several images.
 *
 * <p>Layers made from host files ({@link #fromDirectory}, {@link #fromFile},
 * {@link #fromExecutables}) are not rebuilt when their files' metadata (size, mtime, mode, owner,
 * inode, link target) is unchanged since an earlier build into the same store: the earlier blob
 * is reused. Layers made with {@link #of} are always built.
 */
public final class Layer {
  private final String description;
  private final Consumer<LayerBuilder> recipe;
  private final Supplier<Digest> inputs;
  /** Checks the layer fits the image's architecture (an executable closure); null: any fits. */
  private Consumer<String> architectureCheck;

  private Layer(String description, Consumer<LayerBuilder> recipe, Supplier<Digest> inputs) {
    if (description == null || description.isBlank()) {
      throw new InvalidInputException("description", description, "must not be blank");
    }
    if (recipe == null) {
      throw new InvalidInputException("recipe", null, "must not be null");
    }
    this.description = description;
    this.recipe = recipe;
    this.inputs = inputs;
  }

  /** @return what the layer holds, recorded as the history entry's {@code created_by} */
  public String description() {
    return description;
  }

  Consumer<LayerBuilder> recipe() {
    return recipe;
  }

  /** @throws ExecutableClosure.ArchitectureMismatchException when a program is for another machine */
  void checkArchitecture(String architecture) {
    if (architectureCheck != null) {
      architectureCheck.accept(architecture);
    }
  }

  /** @return a digest of the host inputs' metadata, or empty when the layer is not cacheable */
  Optional<Digest> inputsFingerprint() {
    return inputs == null ? Optional.empty() : Optional.of(inputs.get());
  }

  /**
   * A layer holding the host directory tree {@code dir} at {@code imagePath}: files, directories,
   * symlinks (kept as links, never followed) and hardlinks; ownership 0:0; permission bits as
   * {@link ImageBuilder#permissions} says (by default the host's, never widened, group/other write
   * cleared).
   *
   * @param dir a host directory; read when the image is built
   * @param imagePath an absolute path inside the image, e.g. {@code "/app"}
   * @throws InvalidInputException naming {@code imagePath} when it is not absolute or climbs
   *     with {@code ..}
   */
  public static Layer fromDirectory(Path dir, String imagePath) {
    Objects.requireNonNull(dir, "dir");
    checkImagePath(imagePath);
    return new Layer("COPY " + dir + " " + imagePath, b -> b.addTree(dir, imagePath),
        () -> HostFingerprint.ofTree(dir));
  }

  /**
   * A layer holding one host file at {@code imagePath}, permission bits as
   * {@link ImageBuilder#permissions} says.
   *
   * @throws InvalidInputException naming {@code imagePath} when it is not a valid absolute path
   */
  public static Layer fromFile(Path file, String imagePath) {
    Objects.requireNonNull(file, "file");
    checkImagePath(imagePath);
    return new Layer("COPY " + file + " " + imagePath, b -> b.addFile(file, imagePath),
        () -> HostFingerprint.ofFiles(List.of(file)));
  }

  /**
   * A layer holding host programs with everything they need to run — their ELF interpreter,
   * shared libraries and the symlinks leading to them — at the same paths as on the host, the
   * way Nix closures make minimal images with no base image. See {@link ExecutableClosure}.
   *
   * @param programs absolute host paths, e.g. {@code Path.of("/bin/sh")}
   * @throws InvalidInputException (field {@code executable}) for a relative or missing path
   * @throws ExecutableClosure.MissingLibraryException when a needed library cannot be found
   * @see ImageBuilder#build() which refuses programs built for another architecture than the
   *     image platform's ({@link ExecutableClosure.ArchitectureMismatchException})
   */
  public static Layer fromExecutables(Path... programs) {
    List<Path> list = Arrays.asList(programs.clone());
    ExecutableClosure closure = ExecutableClosure.of(list);
    List<String> names = new ArrayList<>();
    for (Path p : list) {
      names.add(p.toString());
    }
    List<Path> paths = new ArrayList<>();
    closure.entries().keySet().forEach(k -> paths.add(Path.of(k)));
    Layer layer = new Layer("CLOSURE " + String.join(" ", names), b -> closure.entries().forEach((path, entry) -> {
      if (entry instanceof ExecutableClosure.HostFile f) {
        b.addFile(f.source(), path);
      } else if (entry instanceof ExecutableClosure.Symlink s) {
        b.addSymlink(path, s.target());
      }
    }), () -> HostFingerprint.ofFiles(paths));
    layer.architectureCheck = closure::requireArchitecture;
    return layer;
  }

  /**
   * A layer built by {@code recipe}, e.g.
   * {@code Layer.of("config", b -> b.addFile("/etc/app.conf", bytes).addSymlink("/app", "/opt/app"))}.
   */
  public static Layer of(String description, Consumer<LayerBuilder> recipe) {
    return new Layer(description, recipe, null);
  }

  private static void checkImagePath(String imagePath) {
    dev.boxkit.oci.layer.ImagePath.parse(imagePath);
  }

  @Override
  public String toString() {
    return description;
  }
}
