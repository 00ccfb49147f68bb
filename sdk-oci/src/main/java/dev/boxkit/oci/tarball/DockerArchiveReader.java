package dev.boxkit.oci.tarball;

import com.fasterxml.jackson.databind.JsonNode;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.json.OciJson;
import dev.boxkit.oci.layout.OciLayout;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a {@code docker save} tarball (Docker's {@code manifest.json} format: {@code
 * [{"Config", "RepoTags", "Layers"}]}, entries either {@code <id>/layer.tar} or
 * {@code blobs/sha256/<hex>}) into an OCI image layout. Layers are copied as stored, never
 * recompressed; uncompressed layers are checked against the config's {@code diff_ids} here, gzip
 * ones when unpacked. Entry names are only matched, never used as host paths, so a hostile
 * archive cannot write outside the layout.
 */
final class DockerArchiveReader {
  private static final int MAX_JSON_BYTES = 16 << 20;

  private DockerArchiveReader() {}

  /** @see DockerArchive#read(Path, OciLayout) */
  static Descriptor read(Path archive, OciLayout layout) {
    try {
      return importInto(archive, layout);
    } catch (IOException e) {
      throw new OciException("reading docker archive " + archive + ": " + e, e);
    }
  }

  private static Descriptor importInto(Path archive, OciLayout layout) throws IOException {
    Map<String, String> links = new HashMap<>();
    byte[] manifestJson = null;
    try (TarArchiveInputStream tar = tar(archive)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = normalise(e.getName());
        if (name.equals("manifest.json") && e.isFile()) {
          manifestJson = readJson(tar, archive, name);
        } else if (e.isSymbolicLink()) {
          links.put(name, resolveLink(name, e.getLinkName()));
        } else if (e.isLink()) {
          links.put(name, normalise(e.getLinkName()));
        }
      }
    }
    if (manifestJson == null) {
      throw new OciException(archive + " is not a docker archive: it has no manifest.json");
    }
    JsonNode entries = dev.boxkit.oci.json.OciJson.reader().readTree(manifestJson);
    if (!entries.isArray() || entries.size() != 1) {
      throw new OciException(archive + ": manifest.json must list exactly one image, it lists "
          + (entries.isArray() ? entries.size() : "none"));
    }
    JsonNode entry = entries.get(0);
    String configName = text(entry.get("Config"), archive, "Config");
    List<String> layerNames = new ArrayList<>();
    JsonNode layersNode = entry.get("Layers");
    if (layersNode == null || !layersNode.isArray()) {
      throw new OciException(archive + ": manifest.json has no Layers list");
    }
    for (JsonNode l : layersNode) {
      layerNames.add(text(l, archive, "Layers[]"));
    }

    Set<String> wanted = new LinkedHashSet<>();
    wanted.add(follow(links, normalise(configName)));
    layerNames.forEach(n -> wanted.add(follow(links, normalise(n))));
    byte[] configJson = null;
    Map<String, Descriptor> layers = new HashMap<>();
    String configKey = follow(links, normalise(configName));
    try (TarArchiveInputStream tar = tar(archive)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = normalise(e.getName());
        if (!e.isFile() || !wanted.contains(name)) {
          continue;
        }
        if (name.equals(configKey)) {
          configJson = readJson(tar, archive, name);
        }
        if (layerNames.stream().anyMatch(n -> follow(links, normalise(n)).equals(name))) {
          layers.put(name, storeLayer(tar, layout));
        }
      }
    }
    if (configJson == null) {
      throw new OciException(archive + ": lacks the config " + configName + " its manifest.json names");
    }
    ImageConfig config = OciJson.read(configJson, ImageConfig.class, "config " + configName + " in " + archive);
    if (config.diffIds().size() != layerNames.size()) {
      throw new OciException(archive + ": the config lists " + config.diffIds().size()
          + " diff_ids but manifest.json " + layerNames.size() + " layers");
    }
    List<Descriptor> layerDescriptors = new ArrayList<>();
    for (int i = 0; i < layerNames.size(); i++) {
      Descriptor d = layers.get(follow(links, normalise(layerNames.get(i))));
      if (d == null) {
        throw new OciException(archive + ": lacks the layer " + layerNames.get(i) + " its manifest.json names");
      }
      Digest diffId = config.diffIds().get(i);
      if (d.mediaType().equals(MediaType.OCI_LAYER_TAR) && !d.digest().equals(diffId)) {
        throw new DigestMismatchException("layer " + layerNames.get(i) + " of " + archive, diffId,
            d.digest().toString());
      }
      layerDescriptors.add(d);
    }
    Descriptor configDescriptor = layout.writeBlob(configJson, MediaType.OCI_CONFIG);
    return layout.writeManifest(ImageManifest.of(configDescriptor, layerDescriptors));
  }


  private static Descriptor storeLayer(InputStream entry, OciLayout layout) throws IOException {
    BufferedInputStream in = new BufferedInputStream(entry);
    in.mark(2);
    boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
    in.reset();
    return layout.writeBlob(in, gzip ? MediaType.OCI_LAYER_TAR_GZIP : MediaType.OCI_LAYER_TAR);
  }

  private static TarArchiveInputStream tar(Path archive) throws IOException {
    return new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16));
  }

  private static byte[] readJson(InputStream in, Path archive, String name) throws IOException {
    byte[] b = in.readNBytes(MAX_JSON_BYTES + 1);
    if (b.length > MAX_JSON_BYTES) {
      throw new OciException(archive + ": " + name + " is larger than " + MAX_JSON_BYTES + " bytes");
    }
    return b;
  }

  private static String text(JsonNode node, Path archive, String field) {
    if (node == null || !node.isTextual() || node.asText().isEmpty()) {
      throw new OciException(archive + ": manifest.json has no valid " + field);
    }
    return node.asText();
  }

  private static String normalise(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n;
  }

  /** A symbolic link's target as an archive entry name (docker save links duplicate layers). */
  private static String resolveLink(String name, String target) {
    int slash = name.lastIndexOf('/');
    String base = slash < 0 ? "" : name.substring(0, slash + 1);
    return Path.of("/" + base + target).normalize().toString().substring(1);
  }

  private static String follow(Map<String, String> links, String name) {
    String n = name;
    for (int hops = 0; hops < 8 && links.containsKey(n); hops++) {
      n = links.get(n);
    }
    return n;
  }

}
