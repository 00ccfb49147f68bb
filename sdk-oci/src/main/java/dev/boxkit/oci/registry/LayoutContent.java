package dev.boxkit.oci.registry;

import dev.boxkit.oci.OciException;
import dev.boxkit.oci.io.StagedFile;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.layout.BlobNotFoundException;
import dev.boxkit.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An OCI image layout as source and sink of image copies: its root is one tag of the layout, or
 * (as a source only) a manifest or index named by its descriptor, so pushing needs no tag.
 */
final class LayoutContent implements ContentSource, ContentSink {
  private final OciLayout layout;
  private final String tag;
  private final Descriptor root;
  private final BlobProgress.Listener progress;
  /** Run by {@link #close()}: nothing for a caller's layout, its removal for a temporary one. */
  private final Runnable cleanup;

  LayoutContent(OciLayout layout, String tag, BlobProgress.Listener progress) {
    this(layout, tag, null, progress, () -> { });
  }

  private LayoutContent(OciLayout layout, String tag, Descriptor root,
      BlobProgress.Listener progress, Runnable cleanup) {
    this.layout = layout;
    this.tag = tag;
    this.root = root;
    this.progress = progress;
    this.cleanup = cleanup;
  }

  /** @return a source whose root is {@code root}, a manifest or index stored in {@code layout} */
  static LayoutContent ofRoot(OciLayout layout, Descriptor root, BlobProgress.Listener progress) {
    return new LayoutContent(layout, null, root, progress, () -> { });
  }

  /** @return this content, whose {@link #close()} also runs {@code cleanup} (e.g. removes a temporary layout) */
  LayoutContent withCleanup(Runnable cleanup) {
    return new LayoutContent(layout, tag, root, progress, cleanup);
  }

  @Override
  public RegistryManifest root() {
    return manifest(root != null ? root : layout.resolve(tag));
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
    // Not synced: a blob is verified against its digest wherever it is read.
    try (StagedFile staged = StagedFile.beside(target, false); InputStream in = layout.openBlob(d)) {
      Files.copy(in, staged.path());
      staged.commit();
    } catch (IOException e) {
      throw new OciException("copying blob " + d.digest() + " to " + target + ": " + e, e);
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
    if (tag == null) {
      throw new IllegalStateException("a layout named by a descriptor is a source only");
    }
    putManifest(m);
    layout.tag(tag, m.descriptor());
  }

  @Override
  public void close() {
    cleanup.run();
  }

  @Override
  public String toString() {
    return "oci:" + layout.dir() + ":" + (tag != null ? tag : root.digest().toString());
  }
}
