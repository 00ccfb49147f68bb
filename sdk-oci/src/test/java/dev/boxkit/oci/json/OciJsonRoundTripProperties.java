package dev.boxkit.oci.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.testing.OciArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class OciJsonRoundTripProperties {
  @Property(tries = 300)
  void manifestsRoundTrip(@ForAll("manifests") ImageManifest m) {
    byte[] json = OciJson.write(m);
    ImageManifest back = OciJson.read(json, ImageManifest.class, "manifest");
    assertEquals(m, back);
    assertArrayEquals(json, OciJson.write(back));
  }

  @Property(tries = 300)
  void indexesRoundTrip(@ForAll("indexes") ImageIndex i) {
    byte[] json = OciJson.write(i);
    ImageIndex back = OciJson.read(json, ImageIndex.class, "index");
    assertEquals(i, back);
    assertArrayEquals(json, OciJson.write(back));
  }

  @Property(tries = 300)
  void configsRoundTrip(@ForAll("configs") ImageConfig c) {
    byte[] json = OciJson.write(c);
    ImageConfig back = OciJson.read(json, ImageConfig.class, "config");
    assertEquals(c, back);
    assertArrayEquals(json, OciJson.write(back));
  }

  @Provide
  Arbitrary<ImageManifest> manifests() {
    return OciArbitraries.manifests();
  }

  @Provide
  Arbitrary<ImageIndex> indexes() {
    return OciArbitraries.indexes();
  }

  @Provide
  Arbitrary<ImageConfig> configs() {
    return OciArbitraries.configs();
  }
}
