package dev.boxkit.oci.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.testing.OciArbitraries;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;

class OciLayoutProperties {
  @Property(tries = 50)
  void whatIsWrittenReadsBackEqual(@ForAll("configs") ImageConfig config,
      @ForAll("layerContents") List<byte[]> layers,
      @ForAll("annotations") Map<String, String> annotations,
      @ForAll @AlphaChars @StringLength(min = 1, max = 10) String tag) throws IOException {
    Path dir = Files.createTempDirectory("layout-prop");
    try {
      OciLayout layout = OciLayout.create(dir);
      List<Descriptor> layerDescriptors = new ArrayList<>();
      for (byte[] l : layers) {
        layerDescriptors.add(layout.writeBlob(l, MediaType.OCI_LAYER_TAR));
      }
      ImageManifest manifest = ImageManifest.of(layout.writeConfig(config), layerDescriptors);
      for (Map.Entry<String, String> e : annotations.entrySet()) {
        manifest = manifest.withAnnotation(e.getKey(), e.getValue());
      }
      layout.tag(tag, layout.writeManifest(manifest));

      OciLayout reopened = OciLayout.open(dir);
      Descriptor resolved = reopened.resolve(tag);
      ImageManifest readManifest = reopened.readManifest(resolved);
      assertEquals(manifest, readManifest);
      assertEquals(config, reopened.readConfig(readManifest.config()));
      for (int i = 0; i < layers.size(); i++) {
        try (InputStream in = reopened.openBlob(readManifest.layers().get(i))) {
          assertArrayEquals(layers.get(i), in.readAllBytes());
        }
      }
      assertEquals(List.of(tag), reopened.tags());
      reopened.verify();
    } finally {
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Provide
  Arbitrary<ImageConfig> configs() {
    return OciArbitraries.configs();
  }

  @Provide
  Arbitrary<List<byte[]>> layerContents() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(3000).list().ofMaxSize(3);
  }

  @Provide
  Arbitrary<Map<String, String>> annotations() {
    return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8),
        OciArbitraries.text()).ofMaxSize(3);
  }
}
