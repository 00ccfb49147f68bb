package dev.boxkit.oci.registry;

import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A registry repository as source and sink of image copies. */
final class RegistryContent implements ContentSource, ContentSink {
  private final RegistryClient client;
  private final ImageReference ref;
  private final Map<Descriptor, Path> downloaded = new ConcurrentHashMap<>();
  private Path tmpDir;

  RegistryContent(RegistryClient client, ImageReference ref) {
    this.client = client;
    this.ref = ref;
  }

  private ImageReference byDigest(Descriptor d) {
    return new ImageReference(ref.registry(), ref.repository(), null, d.digest());
  }

  @Override
  public RegistryManifest root() {
    return client.fetchManifest(ref);
  }

  @Override
  public RegistryManifest manifest(Descriptor d) {
    RegistryManifest m = client.fetchManifest(byDigest(d));
    if (!m.mediaType().equals(d.mediaType())) {
      throw new RegistryException(byDigest(d).toString(), "served as " + m.mediaType()
          + " but the index says " + d.mediaType(), 200, List.of(), null);
    }
    if (m.content().length != d.size()) {
      throw new DigestMismatchException("manifest " + byDigest(d), d.digest(),
          m.content().length + " bytes instead of " + d.size());
    }
    return m;
  }

  /** Downloads once to a temporary file (a registry stream cannot restart at an offset). */
  @Override
  public BlobSource blob(Descriptor d) {
    return offset -> BlobSource.of(download(d)).open(offset);
  }

  private Path download(Descriptor d) {
    return downloaded.computeIfAbsent(d, k -> {
      Path target = tmp().resolve(d.digest().algorithm() + "-" + d.digest().hex());
      client.fetchBlob(ref, d.digest(), d.size(), target);
      return target;
    });
  }

  private synchronized Path tmp() {
    if (tmpDir == null) {
      try {
        tmpDir = Files.createTempDirectory("boxkit-copy-");
      } catch (IOException e) {
        throw new OciException("creating a temporary directory" + ": " + e, e);
      }
    }
    return tmpDir;
  }

  @Override
  public void blobTo(Descriptor d, Path target) {
    client.fetchBlob(ref, d.digest(), d.size(), target);
  }

  @Override
  public ImageReference repository() {
    return ref;
  }

  @Override
  public synchronized void close() {
    if (tmpDir == null) {
      return;
    }
    try {
      dev.boxkit.oci.io.FileTrees.deleteRecursively(tmpDir);
    } catch (IOException e) {
      // best effort: the OS cleans its temp directory
    }
    tmpDir = null;
  }

  @Override
  public RegistryClient.PushResult putBlob(Descriptor d, ContentSource from) {
    ImageReference origin = from.repository();
    String mountFrom = origin != null && origin.registry().equals(ref.registry())
        && !origin.repository().equals(ref.repository()) ? origin.repository() : null;
    return client.pushBlob(ref, d.digest(), d.size(), from.blob(d), mountFrom);
  }

  @Override
  public void putManifest(RegistryManifest m) {
    client.pushManifest(byDigest(m.descriptor()), m.content(), m.mediaType());
  }

  @Override
  public void putRoot(RegistryManifest m) {
    client.pushManifest(ref, m.content(), m.mediaType());
  }

  @Override
  public String toString() {
    return "docker://" + ref;
  }
}
