package dev.boxkit.oci.json;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.testing.OciArbitraries;
import dev.boxkit.testing.OciSchemas;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Whatever the model holds, OciJson writes documents the image-spec schemas accept. */
class OciJsonSchemaProperties {
  private static OciSchemas schemas;

  @BeforeContainer
  static void loadSchemas() {
    schemas = OciSchemas.load();
  }

  @Property(tries = 100)
  void manifestsValidate(@ForAll("manifests") ImageManifest m) {
    if (m.layers().isEmpty()) {
      m = m.withLayerAppended(m.config().withMediaType(MediaType.OCI_LAYER_TAR));
    }
    schemas.assertValid(OciSchemas.Kind.MANIFEST, OciJson.write(m));
  }

  @Property(tries = 100)
  void indexesValidate(@ForAll("indexes") ImageIndex i) {
    schemas.assertValid(OciSchemas.Kind.INDEX, OciJson.write(i));
  }

  @Property(tries = 100)
  void configsValidate(@ForAll("configs") ImageConfig c) {
    schemas.assertValid(OciSchemas.Kind.CONFIG, OciJson.write(c));
  }

  @Property(tries = 100)
  void descriptorsValidate(@ForAll("descriptors") Descriptor d) {
    schemas.assertValid(OciSchemas.Kind.DESCRIPTOR, OciJson.write(d));
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

  @Provide
  Arbitrary<Descriptor> descriptors() {
    return OciArbitraries.descriptors(Arbitraries.of(MediaType.OCI_CONFIG, MediaType.OCI_LAYER_TAR,
        MediaType.OCI_MANIFEST, "application/vnd.example+type"));
  }
}
