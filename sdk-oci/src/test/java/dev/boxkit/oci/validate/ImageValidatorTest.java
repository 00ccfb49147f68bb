package dev.boxkit.oci.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageValidatorTest {
  @TempDir Path tmp;

  OciLayout layout() {
    return OciLayout.create(tmp.resolve("l"));
  }

  /** Writes an image of {@code layers} whose config is {@code config}, tagged "t". */
  static Descriptor image(OciLayout layout, ImageConfig config, List<Descriptor> layers) {
    Descriptor m = layout.writeManifest(ImageManifest.of(layout.writeConfig(config), layers));
    layout.tag("t", m);
    return m;
  }

  static List<String> single(OciLayout layout) {
    List<String> problems = ImageValidator.problems(layout);
    assertEquals(1, problems.size(), problems.toString());
    return problems;
  }

  @Test
  void aWellFormedImageHasNoProblems() {
    OciLayout layout = layout();
    TestImages.Written w = TestImages.write(layout, "v");
    layout.tag("multi", layout.writeIndex(ImageIndex.of(List.of(
        w.manifestDescriptor().withPlatform(Platform.LINUX_AMD64)))));
    assertEquals(List.of(), ImageValidator.problems(layout));
    ImageValidator.validate(layout);
  }

  @Test
  void findsLayerCountMismatches() {
    OciLayout layout = layout();
    TestImages.Layer a = TestImages.layer(Map.of("a", "a"));
    Descriptor la = layout.writeBlob(a.gzip(), MediaType.OCI_LAYER_TAR_GZIP);
    image(layout, TestImages.config(List.of(a)), List.of(la, la));
    String p = single(layout).get(0);
    assertTrue(p.contains("2 layers but config") && p.contains("1 diff_ids"), p);
    ImageValidationException e =
        assertThrows(ImageValidationException.class, () -> ImageValidator.validate(layout));
    assertEquals(1, e.problems().size());
  }

  @Test
  void findsAnImageWithoutLayers() {
    OciLayout layout = layout();
    image(layout, ImageConfig.of(Platform.LINUX_AMD64), List.of());
    assertTrue(single(layout).get(0).contains("has no layers"));
  }

  @Test
  void findsAWrongDiffId() {
    OciLayout layout = layout();
    TestImages.Layer a = TestImages.layer(Map.of("a", "a"));
    TestImages.Layer b = TestImages.layer(Map.of("b", "b"));
    Descriptor la = layout.writeBlob(a.gzip(), MediaType.OCI_LAYER_TAR_GZIP);
    image(layout, TestImages.config(List.of(b)), List.of(la));
    String p = single(layout).get(0);
    assertTrue(p.contains("is not its diff_id " + b.diffId()), p);
  }

  @Test
  void findsWrongMediaTypes() {
    OciLayout layout = layout();
    TestImages.Layer a = TestImages.layer(Map.of("a", "a"));
    Descriptor asConfig = layout.writeBlob(a.gzip(), MediaType.OCI_CONFIG);
    image(layout, TestImages.config(List.of(a)), List.of(asConfig));
    assertTrue(single(layout).get(0).contains("not a layer"));
  }

  @Test
  void findsHistoryMismatchAndPlatformMismatch() {
    OciLayout layout = layout();
    TestImages.Layer a = TestImages.layer(Map.of("a", "a"));
    Descriptor la = layout.writeBlob(a.gzip(), MediaType.OCI_LAYER_TAR_GZIP);
    ImageConfig config = TestImages.config(List.of(a)).withHistoryAppended(History.of(null, "x"));
    Descriptor m = image(layout, config, List.of(la));
    assertTrue(single(layout).get(0).contains("non-empty history entries"));
    layout.tag("t", m);
    OciLayout other = OciLayout.create(tmp.resolve("other"));
    Descriptor m2 = image(other, TestImages.config(List.of(a)),
        List.of(other.writeBlob(a.gzip(), MediaType.OCI_LAYER_TAR_GZIP)));
    other.tag("t", other.writeIndex(ImageIndex.of(List.of(m2.withPlatform(Platform.LINUX_ARM64)))));
    String p = single(other).get(0);
    assertTrue(p.contains("index says linux/arm64 but config says linux/amd64"), p);
  }

  @Test
  void findsDuplicatePathsInALayer() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (String name : List.of("etc/x", "./etc/x")) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(1);
        tar.putArchiveEntry(e);
        tar.write('x');
        tar.closeArchiveEntry();
      }
    }
    OciLayout layout = layout();
    byte[] tarBytes = bytes.toByteArray();
    Descriptor l = layout.writeBlob(tarBytes, MediaType.OCI_LAYER_TAR);
    image(layout, ImageConfig.of(Platform.LINUX_AMD64).withLayerAppended(l.digest(),
        History.of(null, "dup")), List.of(l));
    String p = single(layout).get(0);
    assertTrue(p.contains("path etc/x appears twice"), p);
  }

  @Test
  void reportsCorruptAndMissingBlobsAmongOtherProblems() throws IOException {
    OciLayout layout = layout();
    TestImages.Written w = TestImages.write(layout, "v");
    Path config = layout.blobPath(w.manifest().config().digest());
    Files.writeString(config, "{}");
    String p = single(layout).get(0);
    assertTrue(p.contains(w.manifest().config().digest().toString()), p);
    Files.delete(layout.blobPath(w.manifestDescriptor().digest()));
    assertTrue(single(layout).get(0).contains("not found"));
  }
}
