package dev.boxkit.testing;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Small, fully valid test images built by hand (tar via Commons Compress, gzip via the JDK). */
public final class TestImages {
  private TestImages() {}

  /** A layer: the uncompressed tar, its gzip, and both digests. */
  public record Layer(byte[] tar, byte[] gzip, Digest diffId, Digest digest) {
    /** @return its descriptor as a gzip OCI layer */
    public Descriptor descriptor() {
      return Descriptor.of(MediaType.OCI_LAYER_TAR_GZIP, digest, gzip.length);
    }
  }

  /** What {@link #write} stored. */
  public record Written(Descriptor manifestDescriptor, ImageManifest manifest, ImageConfig config,
      List<Layer> layers) {}

  /**
   * @param files path → content; directories are implied and written as entries first
   * @return a reproducible layer (fixed mtimes, uid/gid 0)
   */
  public static Layer layer(Map<String, String> files) {
    try {
      ByteArrayOutputStream tar = new ByteArrayOutputStream();
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        List<String> dirs = new ArrayList<>();
        for (String path : new java.util.TreeSet<>(files.keySet())) {
          String[] parts = path.split("/");
          StringBuilder d = new StringBuilder();
          for (int i = 0; i < parts.length - 1; i++) {
            d.append(parts[i]).append('/');
            if (!dirs.contains(d.toString())) {
              dirs.add(d.toString());
              TarArchiveEntry e = new TarArchiveEntry(d.toString());
              e.setModTime(0);
              e.setMode(040755);
              out.putArchiveEntry(e);
              out.closeArchiveEntry();
            }
          }
          byte[] content = files.get(path).getBytes(StandardCharsets.UTF_8);
          TarArchiveEntry e = new TarArchiveEntry(path);
          e.setModTime(0);
          e.setMode(0100644);
          e.setSize(content.length);
          out.putArchiveEntry(e);
          out.write(content);
          out.closeArchiveEntry();
        }
      }
      byte[] tarBytes = tar.toByteArray();
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
        out.write(tarBytes);
      }
      byte[] gzBytes = gz.toByteArray();
      return new Layer(tarBytes, gzBytes, Digest.sha256(tarBytes), Digest.sha256(gzBytes));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return the configuration of an image of {@code layers} for linux/amd64 */
  public static ImageConfig config(List<Layer> layers) {
    ImageConfig c = ImageConfig.of(Platform.LINUX_AMD64).withCreated(Instant.EPOCH)
        .withEnv("PATH", "/usr/local/bin:/usr/bin:/bin").withCmd(List.of("/bin/sh"))
        .withLabel("org.example.test", "yes");
    for (int i = 0; i < layers.size(); i++) {
      c = c.withLayerAppended(layers.get(i).diffId(), History.of(Instant.EPOCH, "layer " + i));
    }
    return c;
  }

  /** Writes a two-layer image into {@code layout} and tags it {@code tag}. */
  public static Written write(OciLayout layout, String tag) {
    List<Layer> layers = List.of(
        layer(Map.of("etc/hello.txt", "hello\n", "bin/tool", "#!/bin/sh\necho hi\n")),
        layer(Map.of("app/data.txt", "data for " + tag + "\n")));
    ImageConfig config = config(layers);
    List<Descriptor> layerDescriptors = new ArrayList<>();
    for (Layer l : layers) {
      layerDescriptors.add(layout.writeBlob(l.gzip(), MediaType.OCI_LAYER_TAR_GZIP));
    }
    Descriptor configDescriptor = layout.writeConfig(config);
    ImageManifest manifest = ImageManifest.of(configDescriptor, layerDescriptors);
    Descriptor md = layout.writeManifest(manifest);
    layout.tag(tag, md);
    return new Written(md, manifest, config, layers);
  }
}
