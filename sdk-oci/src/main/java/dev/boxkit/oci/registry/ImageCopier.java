package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.json.OciJson;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies an image from a source to a sink in the order that keeps the sink consistent: blobs
 * (in parallel, bounded), then each manifest, then the index, then the tag.
 */
final class ImageCopier {
  private final int parallelism;

  ImageCopier(int parallelism) {
    this.parallelism = parallelism;
  }

  /**
   * @param platform the platform to pick from an index (the copy is then that single manifest),
   *     or null to copy an index with all its manifests
   * @return the descriptor of what the sink's tag now names
   */
  Descriptor copy(ContentSource from, ContentSink to, Platform platform, String what) {
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, daemonThreads(what));
    try {
      RegistryManifest root = from.root();
      if (MediaType.isIndex(root.mediaType()) && platform != null) {
        root = from.manifest(choose(root, platform, what));
      }
      copyTree(from, to, root, pool, what, 0);
      to.putRoot(root);
      return root.descriptor();
    } finally {
      pool.shutdownNow();
      from.close();
      to.close();
    }
  }

  private void copyTree(ContentSource from, ContentSink to, RegistryManifest m, ExecutorService pool,
      String what, int depth) {
    if (MediaType.isIndex(m.mediaType())) {
      if (depth > 4) {
        throw new OciException(what + ": indexes nested deeper than 4");
      }
      ImageIndex index = OciJson.read(m.content(), ImageIndex.class, "index " + m.digest());
      for (Descriptor child : index.manifests()) {
        if (!MediaType.isManifest(child.mediaType()) && !MediaType.isIndex(child.mediaType())) {
          throw new OciException(what + ": index " + m.digest() + " names " + child.digest()
              + " of unsupported media type " + child.mediaType());
        }
        RegistryManifest c = from.manifest(child);
        copyTree(from, to, c, pool, what, depth + 1);
        to.putManifest(c);
      }
      return;
    }
    ImageManifest manifest = OciJson.read(m.content(), ImageManifest.class, "manifest " + m.digest());
    Set<Descriptor> blobs = new LinkedHashSet<>();
    blobs.add(manifest.config());
    for (Descriptor layer : manifest.layers()) {
      // Foreign / non-distributable layers live at their urls, not in registries (skopeo skips them too).
      if (!isForeign(layer)) {
        blobs.add(layer);
      }
    }
    List<Future<?>> running = new ArrayList<>();
    for (Descriptor d : blobs) {
      running.add(pool.submit(() -> to.putBlob(d, from)));
    }
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        running.forEach(r -> r.cancel(true));
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new OciException(what + ": " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.forEach(r -> r.cancel(true));
        throw new OciException(what + ": interrupted", e);
      }
    }
  }

  static boolean isForeign(Descriptor d) {
    return !d.urls().isEmpty() && (d.mediaType().equals(MediaType.DOCKER_FOREIGN_LAYER)
        || d.mediaType().contains(".nondistributable."));
  }

  private static Descriptor choose(RegistryManifest root, Platform platform, String what) {
    ImageIndex index = OciJson.read(root.content(), ImageIndex.class, "index " + root.digest());
    return index.manifestFor(platform).orElseThrow(() -> new OciException(what + ": index "
        + root.digest() + " has no manifest for platform " + platform + " (it has "
        + platforms(index) + ")"));
  }

  private static String platforms(ImageIndex index) {
    List<String> out = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      out.add(d.platform() == null ? "?" : d.platform().toString());
    }
    return String.join(", ", out);
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String what) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "boxkit-blobs-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
