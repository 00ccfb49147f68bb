package dev.boxkit.oci.validate;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layout.OciLayout;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Checks that an image layout holds valid images, beyond what the JSON schemas can say: every
 * blob has its descriptor's digest and size; media types are of the right kind (index entries
 * are manifests or indexes, a manifest's config is a config, its layers are layers) and agree
 * with the content's own {@code mediaType}; a config has as many {@code diff_ids} as the
 * manifest has layers, and as many non-empty history entries when it has history; each layer is
 * a readable tar (plain, gzip or zstd) without duplicate paths whose uncompressed digest is its
 * diff_id; an image has at least one layer; an index entry's platform matches the
 * config's.
 *
 * <p>Meant for the tests of every source and sink; all methods are static and thread-safe.
 */
public final class ImageValidator {
  private ImageValidator() {}

  /**
   * Checks every image referenced by the layout's index.json.
   *
   * @throws ImageValidationException listing every problem found
   */
  public static void validate(OciLayout layout) {
    List<String> problems = problems(layout);
    if (!problems.isEmpty()) {
      throw new ImageValidationException("OCI layout " + layout.dir(), problems);
    }
  }

  /** @return every problem found in the images the layout's index.json references; empty when valid */
  public static List<String> problems(OciLayout layout) {
    List<String> problems = new ArrayList<>();
    ImageIndex index;
    try {
      index = layout.index();
    } catch (OciException e) {
      problems.add(e.getMessage());
      return problems;
    }
    Set<Digest> seen = new HashSet<>();
    for (Descriptor d : index.manifests()) {
      check(layout, d, null, problems, seen);
    }
    return problems;
  }

  /** @return every problem found in the manifest or index {@code root} and what it references */
  public static List<String> problems(OciLayout layout, Descriptor root) {
    List<String> problems = new ArrayList<>();
    check(layout, root, null, problems, new HashSet<>());
    return problems;
  }

  private static void check(OciLayout layout, Descriptor d, Platform wanted, List<String> problems,
      Set<Digest> seen) {
    if (!seen.add(d.digest())) {
      return;
    }
    try {
      if (MediaType.isIndex(d.mediaType())) {
        ImageIndex index = layout.readIndex(d);
        for (Descriptor child : index.manifests()) {
          if (!MediaType.isManifest(child.mediaType()) && !MediaType.isIndex(child.mediaType())) {
            problems.add("index " + d.digest() + ": entry " + child.digest() + " has media type "
                + child.mediaType() + ", not a manifest or index");
            continue;
          }
          check(layout, child, child.platform(), problems, seen);
        }
      } else if (MediaType.isManifest(d.mediaType())) {
        checkManifest(layout, d, wanted != null ? wanted : d.platform(), problems);
      } else {
        problems.add("descriptor " + d.digest() + " has media type " + d.mediaType()
            + ", not a manifest or index");
      }
    } catch (OciException e) {
      problems.add(e.getMessage());
    }
  }

  private static void checkManifest(OciLayout layout, Descriptor d, Platform platform,
      List<String> problems) {
    ImageManifest m = layout.readManifest(d);
    String where = "manifest " + d.digest();
    if (m.mediaType() == null) {
      problems.add(where + ": has no mediaType (image-spec: it SHOULD be set)");
    }
    if (!MediaType.isConfig(m.config().mediaType())) {
      if (m.artifactType() == null) {
        problems.add(where + ": config media type " + m.config().mediaType()
            + " is not an image config");
      }
      layout.readBlob(m.config()); // an artifact: content checked, not parsed
      return;
    }
    ImageConfig config = layout.readConfig(m.config());
    if (m.layers().isEmpty()) {
      problems.add(where + ": has no layers (image-spec: layers SHOULD have at least one entry;"
          + " the schema requires one)");
    }
    if (m.layers().size() != config.diffIds().size()) {
      problems.add(where + ": " + m.layers().size() + " layers but config " + m.config().digest()
          + " has " + config.diffIds().size() + " diff_ids");
    }
    long layerSteps = config.history().stream().filter(h -> !h.emptyLayer()).count();
    if (!config.history().isEmpty() && layerSteps != config.diffIds().size()) {
      problems.add(where + ": config has " + layerSteps + " non-empty history entries for "
          + config.diffIds().size() + " diff_ids");
    }
    if (platform != null && !config.platform().matches(platform)) {
      problems.add(where + ": index says " + platform + " but config says " + config.platform());
    }
    for (int i = 0; i < m.layers().size(); i++) {
      Descriptor layer = m.layers().get(i);
      if (!MediaType.isLayer(layer.mediaType())) {
        problems.add(where + ": layer " + i + " (" + layer.digest() + ") has media type "
            + layer.mediaType() + ", not a layer");
        continue;
      }
      if (!layout.hasBlob(layer.digest()) && !layer.urls().isEmpty()) {
        continue; // non-distributable: fetched from its urls
      }
      Digest diffId = i < config.diffIds().size() ? config.diffIds().get(i) : null;
      checkLayer(layout, layer, diffId, where + " layer " + i + " (" + layer.digest() + ")",
          problems);
    }
  }

  private static void checkLayer(OciLayout layout, Descriptor layer, Digest diffId, String where,
      List<String> problems) {
    try (InputStream blob = new BufferedInputStream(layout.openBlob(layer), 1 << 16)) {
      MessageDigest md = (diffId != null ? diffId : Digest.sha256(new byte[0])).newMessageDigest();
      InputStream raw = Compression.fromMediaType(layer.mediaType()).decompress(blob);
      try (DigestInputStream uncompressed = new DigestInputStream(raw, md)) {
        TarArchiveInputStream tar = new TarArchiveInputStream(uncompressed);
        Set<String> paths = new HashSet<>();
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
          String name = normalise(e.getName());
          if (!paths.add(name)) {
            problems.add(where + ": path " + name + " appears twice (image-spec layer.md)");
          }
        }
        // The tar reader stops at the end-of-archive marker: read the rest for the digest.
        uncompressed.transferTo(OutputStream.nullOutputStream());
        // Bytes after the gzip or zstd stream are not layer content, but the blob check needs them read.
        blob.transferTo(OutputStream.nullOutputStream());
      }
      if (diffId != null) {
        Digest actual = Digest.fromHash(diffId.algorithm(), md.digest());
        if (!actual.equals(diffId)) {
          problems.add(where + ": uncompressed digest " + actual + " is not its diff_id " + diffId);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      problems.add(where + ": not a readable " + layer.mediaType() + ": " + e);
    }
  }

  private static String normalise(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.startsWith("/")) {
      n = n.substring(1);
    }
    return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }

}
