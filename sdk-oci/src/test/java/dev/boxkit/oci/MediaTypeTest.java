package dev.boxkit.oci;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MediaTypeTest {
  @Test
  void classifiesEachKindExactlyOnce() {
    String[] manifests = {MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST};
    String[] indexes = {MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST_LIST};
    String[] configs = {MediaType.OCI_CONFIG, MediaType.DOCKER_CONFIG};
    String[] layers = {MediaType.OCI_LAYER_TAR, MediaType.OCI_LAYER_TAR_GZIP,
        MediaType.OCI_LAYER_TAR_ZSTD, MediaType.DOCKER_LAYER_TAR_GZIP, MediaType.DOCKER_FOREIGN_LAYER};
    for (String m : manifests) {
      assertTrue(MediaType.isManifest(m));
      assertFalse(MediaType.isIndex(m) || MediaType.isConfig(m) || MediaType.isLayer(m));
    }
    for (String m : indexes) {
      assertTrue(MediaType.isIndex(m));
      assertFalse(MediaType.isManifest(m) || MediaType.isConfig(m) || MediaType.isLayer(m));
    }
    for (String m : configs) {
      assertTrue(MediaType.isConfig(m));
      assertFalse(MediaType.isManifest(m) || MediaType.isIndex(m) || MediaType.isLayer(m));
    }
    for (String m : layers) {
      assertTrue(MediaType.isLayer(m));
      assertFalse(MediaType.isManifest(m) || MediaType.isIndex(m) || MediaType.isConfig(m));
    }
    for (String m : new String[] {null, "", MediaType.OCI_EMPTY, "application/json"}) {
      assertFalse(MediaType.isManifest(m) || MediaType.isIndex(m) || MediaType.isConfig(m)
          || MediaType.isLayer(m));
    }
  }

  @Test
  void tellsCompression() {
    assertTrue(MediaType.isGzipLayer(MediaType.OCI_LAYER_TAR_GZIP));
    assertTrue(MediaType.isGzipLayer(MediaType.DOCKER_LAYER_TAR_GZIP));
    assertTrue(MediaType.isZstdLayer(MediaType.OCI_LAYER_TAR_ZSTD));
    assertTrue(MediaType.isUncompressedLayer(MediaType.OCI_LAYER_TAR));
    assertFalse(MediaType.isGzipLayer(MediaType.OCI_LAYER_TAR));
    assertFalse(MediaType.isUncompressedLayer(MediaType.OCI_LAYER_TAR_GZIP));
    assertFalse(MediaType.isGzipLayer(MediaType.OCI_CONFIG));
  }
}
