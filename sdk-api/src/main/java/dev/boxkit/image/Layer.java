package dev.boxkit.image;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.elf.ExecutableClosure;
import dev.boxkit.oci.layer.LayerBuilder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
   * The host directory tree {@code dir} at {@code imagePath} as up to {@code maxLayers} layers
   * of similar size, split along its directories, as nixpkgs' {@code buildLayeredImage} splits a
   * closure: the top-level entries are the units, a directory larger than an even share is
   * split into its entries in turn, and the units go largest first into the lightest layer (by
   * size rounded down to a power of two; units under 1% of the tree go together into the lightest
   * layer, so that editing a small file does not move it into another layer). Each
   * layer is cached on its own, so a change in one part rebuilds and re-pushes only that layer,
   * and the split depends only on names and sizes, so the same tree gives the same layers.
   * Opt-in rather than what {@link #fromDirectory} does: more layers cost more round trips to a
   * registry and more overlay lower directories, which pays off for large trees only.
   *
   * <p>The tree is walked once now, to size its parts; its contents are read when the image is
   * built. Directories above a part's units appear in the layer as mode 0755, owner 0:0 (as
   * {@link LayerBuilder} makes missing parents); everything else is as {@link #fromDirectory}.
   *
   * @param dir a host directory
   * @param imagePath an absolute path inside the image, e.g. {@code "/opt/jdk"}
   * @param maxLayers the most layers to make, at least 1 (1 gives {@link #fromDirectory})
   * @return 1 to {@code maxLayers} layers, in the order to add them
   * @throws InvalidInputException naming {@code imagePath} when it is not a valid absolute path,
   *     or {@code maxLayers} when it is below 1
   * @throws OciException when the tree cannot be read
   */
  public static List<Layer> fromDirectorySplit(Path dir, String imagePath, int maxLayers) {
    Objects.requireNonNull(dir, "dir");
    checkImagePath(imagePath);
    if (maxLayers < 1) {
      throw new InvalidInputException("maxLayers", Integer.toString(maxLayers), "must be at least 1");
    }
    List<DirectorySplit.Part> parts = maxLayers == 1 || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        ? List.of() : DirectorySplit.split(dir, maxLayers);
    if (parts.size() <= 1) {
      return List.of(fromDirectory(dir, imagePath));
    }
    String base = imagePath.endsWith("/") ? imagePath : imagePath + "/";
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      List<String> paths = parts.get(i).paths();
      String shown = paths.size() <= 4 ? String.join(" ", paths)
          : String.join(" ", paths.subList(0, 4)) + " and " + (paths.size() - 4) + " more";
      layers.add(new Layer("COPY " + dir + " " + imagePath + " (part " + (i + 1) + " of " + parts.size()
          + ": " + shown + ")", b -> {
            for (String rel : paths) {
              Path host = dir.resolve(rel);
              if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                b.addTree(host, base + rel);
              } else if (Files.isSymbolicLink(host)) {
                try {
                  b.addSymlink(base + rel, Files.readSymbolicLink(host).toString());
                } catch (java.io.IOException e) {
                  throw new OciException("reading link " + host + ": " + e, e);
                }
              } else {
                b.addFile(host, base + rel);
              }
            }
          }, () -> {
            StringBuilder fp = new StringBuilder();
            for (String rel : paths) {
              Path host = dir.resolve(rel);
              fp.append(rel).append(' ').append(Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)
                  ? HostFingerprint.ofTree(host) : HostFingerprint.ofFiles(List.of(host))).append('\n');
            }
            return Digest.sha256(fp.toString());
          }));
    }
    return List.copyOf(layers);
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
