package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.RootFs;
import dev.boxkit.oci.json.OciJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** A small single-platform OCI image held in memory: blobs by digest plus the manifest. */
record TestImage(Map<Digest, byte[]> blobs, Descriptor config, List<Descriptor> layers, byte[] manifest,
    Platform platform) {
  /** @param files name → content; one layer per entry */
  static TestImage of(Platform platform, Map<String, String> files) {
    return of(platform, files, false);
  }

  /** @param docker Docker v2 schema 2 media types instead of OCI ones */
  static TestImage of(Platform platform, Map<String, String> files, boolean docker) {
    Map<Digest, byte[]> blobs = new LinkedHashMap<>();
    List<Descriptor> layers = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      byte[] tar = tar(f.getKey(), f.getValue().getBytes(StandardCharsets.UTF_8));
      byte[] gz = gzip(tar);
      diffIds.add(Digest.sha256(tar));
      Descriptor d = Descriptor.of(docker ? MediaType.DOCKER_LAYER_TAR_GZIP : MediaType.OCI_LAYER_TAR_GZIP, gz);
      blobs.put(d.digest(), gz);
      layers.add(d);
    }
    ImageConfig cfg = new ImageConfig(null, null, platform.architecture(), platform.os(), null, null,
        platform.variant(), null, RootFs.of(diffIds), null, null);
    byte[] cfgBytes = OciJson.write(cfg);
    Descriptor config = Descriptor.of(docker ? MediaType.DOCKER_CONFIG : MediaType.OCI_CONFIG, cfgBytes);
    blobs.put(config.digest(), cfgBytes);
    ImageManifest m = ImageManifest.of(config, layers);
    if (docker) {
      m = new ImageManifest(2, MediaType.DOCKER_MANIFEST, null, config, layers, null, null, null);
    }
    return new TestImage(blobs, config, layers, OciJson.write(m), platform);
  }

  Digest manifestDigest() {
    return Digest.sha256(manifest);
  }

  String mediaType() {
    return config.mediaType().equals(MediaType.DOCKER_CONFIG) ? MediaType.DOCKER_MANIFEST
        : MediaType.OCI_MANIFEST;
  }

  Descriptor manifestDescriptor() {
    return Descriptor.of(mediaType(), manifestDigest(), manifest.length).withPlatform(platform);
  }

  /** @return the bytes of an index (or Docker manifest list) of {@code images} */
  static byte[] index(boolean docker, TestImage... images) {
    List<Descriptor> ds = new ArrayList<>();
    for (TestImage i : images) {
      ds.add(i.manifestDescriptor());
    }
    return OciJson.write(new dev.boxkit.oci.ImageIndex(2,
        docker ? MediaType.DOCKER_MANIFEST_LIST : MediaType.OCI_INDEX, null, ds, null, null, null));
  }

  static byte[] tar(String name, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(content.length);
      e.setMode(0644);
      e.setModTime(0);
      t.putArchiveEntry(e);
      t.write(content);
      t.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
