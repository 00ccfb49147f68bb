package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.layout.BlobNotFoundException;
import dev.boxkit.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** One tag of an OCI image layout as source and sink of image copies. */
final class LayoutContent implements ContentSource, ContentSink {
  private final OciLayout layout;
  private final String tag;
  private final BlobProgress.Listener progress;

  LayoutContent(OciLayout layout, String tag, BlobProgress.Listener progress) {
    this.layout = layout;
    this.tag = tag;
    this.progress = progress;
  }

  @Override
  public RegistryManifest root() {
    return manifest(layout.resolve(tag));
  }

  @Override
  public RegistryManifest manifest(Descriptor d) {
    byte[] bytes = layout.readBlob(d);
    ManifestCheck.check("manifest " + d.digest() + " in " + layout.dir(), d.mediaType(), bytes);
    return new RegistryManifest(d.mediaType(), bytes, d.digest());
  }

  @Override
  public BlobSource blob(Descriptor d) {
    Path p = layout.blobPath(d.digest());
    if (!Files.isRegularFile(p)) {
      throw new BlobNotFoundException(d.digest(), p);
    }
    // The registry checks the digest of what it receives before it keeps the blob.
    return BlobSource.of(p);
  }

  @Override
  public void blobTo(Descriptor d, Path target) {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".partial");
    try (InputStream in = layout.openBlob(d)) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("copying blob " + d.digest() + " to " + target, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        // nothing more to do
      }
    }
  }

  @Override
  public ImageReference repository() {
    return null;
  }

  /** Writes straight into the layout's blob path: the source writes verified and renames. */
  @Override
  public RegistryClient.PushResult putBlob(Descriptor d, ContentSource from) {
    if (layout.hasBlob(d.digest())) {
      progress.onProgress(new BlobProgress(d.digest(), d.size(), 0, BlobProgress.Kind.SKIPPED));
      return RegistryClient.PushResult.EXISTED;
    }
    from.blobTo(d, layout.blobPath(d.digest()));
    return RegistryClient.PushResult.UPLOADED;
  }

  @Override
  public void putManifest(RegistryManifest m) {
    Descriptor written = layout.writeBlob(m.content(), m.mediaType());
    if (!written.digest().equals(m.digest())) {
      throw new DigestMismatchException("manifest written to " + layout.dir(), m.digest(),
          written.digest().toString());
    }
  }

  @Override
  public void putRoot(RegistryManifest m) {
    putManifest(m);
    layout.tag(tag, m.descriptor());
  }
}
